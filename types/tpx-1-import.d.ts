
type Tpx1 = typeof import('./tpx-1.js').default;

declare global {
    export interface GjsGiImports {
        Tpx: Tpx1;
    }
}

export default GjsGiImports;


