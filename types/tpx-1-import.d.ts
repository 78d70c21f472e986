
import Tpx1 from '@girs/tpx-1';

declare global {
    export interface GjsGiImports {
        Tpx: typeof Tpx1;
    }
}

export default GjsGiImports;


