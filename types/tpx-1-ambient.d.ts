
declare module 'gi://Tpx?version=1' {
    const Tpx1: typeof import('./tpx-1.js').default;
    export default Tpx1;
}



