export function App() {
  return <h1>fanout</h1>;
}
