

  // @ts-expect-error
  import Tpx from 'gi://Tpx?version=1';
  export { Tpx };
  export default Tpx;




