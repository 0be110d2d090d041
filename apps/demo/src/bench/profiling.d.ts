// react-dom/profiling is react-dom/client built with the Profiler's timings on (a plain production
// build never calls <Profiler onRender>); @types/react-dom does not declare it.
declare module 'react-dom/profiling' {
  export * from 'react-dom/client';
}
