
declare module 'gi://Tpx?version=1' {
    import Tpx1 from '@girs/tpx-1';
    export default Tpx1;
}

declare module 'gi://Tpx' {
    import Tpx1 from '@girs/tpx-1';
    export default Tpx1;
}


