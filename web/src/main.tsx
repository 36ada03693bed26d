import './webgpu.ts';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ComparePage } from './pages/compare.tsx';
import { RunPage } from './pages/run.tsx';
import { RunsPage } from './pages/runs.tsx';
import { SweepPage } from './pages/sweep.tsx';
import { href, parseRoute } from './routes.ts';
import './style.css';

function App() {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => {
      setRoute(parseRoute(location.hash));
      window.scrollTo(0, 0);
    };
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return (
    <>
      <header class="top">
        <a href={href.runs()} class="brand">
          Untangle
        </a>
        <span class="muted">runs, sweeps and a decoder you can drag</span>
      </header>
      <main>
        {route.page === 'runs' && <RunsPage />}
        {route.page === 'run' && <RunPage key={route.id} id={route.id} />}
        {route.page === 'sweep' && <SweepPage key={route.id} id={route.id} />}
        {route.page === 'compare' && <ComparePage key={`${route.a}|${route.b}`} a={route.a} b={route.b} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
