// The compiler options of a strict consumer of the built packages, shared by check-dts.mjs and
// check-readme.mjs: strict, and errors inside the packages' .d.ts reported (`skipLibCheck: false`).

/** What every consumer the scripts type-check compiles with. */
export const STRICT = {
  strict: true,
  skipLibCheck: false,
  noEmit: true,
  target: 'es2022',
  module: 'nodenext',
  moduleResolution: 'nodenext',
};

/** A strict browser app with React: the DOM lib, JSX, and `await using` (`esnext.disposable`). */
export const STRICT_REACT = {
  ...STRICT,
  jsx: 'react-jsx',
  lib: ['es2022', 'dom', 'esnext.disposable'],
};
