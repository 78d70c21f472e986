const gi = globalThis.imports?.gi || {};
export default gi;

