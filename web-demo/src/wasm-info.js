// Reads the signatures of a core module's exported functions from its
// binary: the type, function and export sections. (WebAssembly.Module
// gives export names and kinds but not function types.)

const VALTYPES = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };

class Reader {
  constructor(bytes, at = 0, end = bytes.length) {
    Object.assign(this, { bytes, at, end });
  }
  byte() {
    if (this.at >= this.end) throw new Error('unexpected end of module');
    return this.bytes[this.at++];
  }
  u32() {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return result;
    }
    throw new Error('bad LEB128');
  }
  name() {
    const len = this.u32();
    const s = new TextDecoder().decode(this.bytes.subarray(this.at, this.at + len));
    this.at += len;
    return s;
  }
  valtype() {
    const b = this.byte();
    if (b in VALTYPES) return VALTYPES[b];
    throw new Error(`value type 0x${b.toString(16)} is not shown by the playground`);
  }
}

/**
 * `[{ name, params, results }]` for every exported function; `imported` is
 * the number of imports (all functions, when the page runs the module).
 */
export function signatures(bytes, imported) {
  const r = new Reader(bytes, 8);
  const types = [];
  const funcs = [];
  const exports = [];
  while (r.at < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const s = new Reader(bytes, r.at, r.at + size);
    r.at += size;
    if (id === 1) {
      for (let n = s.u32(); n > 0; n--) {
        const form = s.byte();
        if (form !== 0x60) throw new Error('only plain function types are shown by the playground');
        const params = Array.from({ length: s.u32() }, () => s.valtype());
        const results = Array.from({ length: s.u32() }, () => s.valtype());
        types.push({ params, results });
      }
    } else if (id === 3) {
      for (let n = s.u32(); n > 0; n--) funcs.push(s.u32());
    } else if (id === 7) {
      for (let n = s.u32(); n > 0; n--) {
        const name = s.name();
        const kind = s.byte();
        const index = s.u32();
        if (kind === 0) exports.push({ name, index });
      }
    }
  }
  return exports
    .filter(({ index }) => index >= imported)
    .map(({ name, index }) => ({ name, ...types[funcs[index - imported]] }));
}
