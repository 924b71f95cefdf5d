/**
 * A small JSON reader that remembers where each value starts, so that a schema error at a path such as
 * standards[3].criteria.red can be reported at the line and column of that value in the file. JSON.parse gives no
 * positions; this parser accepts exactly JSON (RFC 8259) and reports syntax errors with a line and column too.
 */

export type Position = { line: number; column: number };
export type Located = { value: unknown; positions: Map<string, Position> };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: Position,
  ) {
    super(message);
  }
}

/** The key under which a path's position is stored: segments joined by "/", e.g. "standards/3/criteria/red". */
export const pathKey = (path: readonly PropertyKey[]): string => path.map(String).join('/');

export function parseLocated(source: string): Located {
  const positions = new Map<string, Position>();
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const here = (): Position => ({ line, column: i - lineStart + 1 });
  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, here());
  };
  const skip = () => {
    while (i < source.length) {
      const c = source[i];
      if (c === '\n') {
        line++;
        i++;
        lineStart = i;
      } else if (c === ' ' || c === '\t' || c === '\r') i++;
      else break;
    }
  };
  const describe = () => (i >= source.length ? 'end of file' : `"${source[i]}"`);
  const parseString = (): string => {
    const start = i;
    i++;
    while (i < source.length && source[i] !== '"') {
      if (source[i] === '\\') i++;
      else if (source[i] === '\n' || source.charCodeAt(i) < 0x20) fail('unescaped control character or line break in a string');
      i++;
    }
    if (i >= source.length) fail('unterminated string');
    i++;
    try {
      return JSON.parse(source.slice(start, i)) as string;
    } catch {
      i = start;
      return fail('invalid escape in string');
    }
  };
  const parseValue = (path: PropertyKey[]): unknown => {
    skip();
    positions.set(pathKey(path), here());
    const c = source[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      skip();
      if (source[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        skip();
        if (source[i] !== '"') fail(`expected a property name in double quotes, found ${describe()}`);
        const keyPos = here();
        const key = parseString();
        if (Object.hasOwn(out, key)) {
          const { line: l, column } = keyPos;
          throw new JsonSyntaxError(`duplicate property "${key}"`, { line: l, column });
        }
        skip();
        if (source[i] !== ':') fail(`expected ":" after property name, found ${describe()}`);
        i++;
        out[key] = parseValue([...path, key]);
        // A property's position is that of its key, which is where a reader looks for it.
        positions.set(pathKey([...path, key]), keyPos);
        skip();
        if (source[i] === ',') {
          i++;
          continue;
        }
        if (source[i] === '}') {
          i++;
          return out;
        }
        fail(`expected "," or "}" after a property, found ${describe()}`);
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      skip();
      if (source[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(parseValue([...path, out.length]));
        skip();
        if (source[i] === ',') {
          i++;
          continue;
        }
        if (source[i] === ']') {
          i++;
          return out;
        }
        fail(`expected "," or "]" after an array element, found ${describe()}`);
      }
    }
    if (c === '"') return parseString();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(source.slice(i, i + 64));
    if (!literal) return fail(`unexpected ${describe()}`);
    i += literal[0].length;
    return JSON.parse(literal[0]);
  };
  const value = parseValue([]);
  skip();
  if (i < source.length) fail(`unexpected ${describe()} after the end of the document`);
  return { value, positions };
}

/** The position of the value at `path`, or of its nearest ancestor that exists (for a missing property). */
export function locate(positions: Map<string, Position>, path: readonly PropertyKey[]): Position {
  for (let n = path.length; n >= 0; n--) {
    const p = positions.get(pathKey(path.slice(0, n)));
    if (p) return p;
  }
  return { line: 1, column: 1 };
}
