import { BackendStatus } from './backend-status';
import { FailurePanel } from './failure-panel';
import { ModelStatus } from './model-status';
import { AskPanel } from './ask-panel';
import { useEngine } from './use-engine';

export function App() {
  const engine = useEngine();
  return (
    <div className="app">
      <header>
        <h1>Engram</h1>
        <p className="tagline">Teach a language model new facts in your browser, and watch it remember what it already knew.</p>
      </header>
      <BackendStatus engine={engine} />
      <ModelStatus engine={engine} />
      <FailurePanel failures={engine.failures} />
      <main>
        <AskPanel engine={engine} />
        <section className="intro">
          <h2>What this is</h2>
          <p>
            Language models are frozen after training; teaching them new facts usually erases old ones. Engram runs a small
            language model with a product-key memory layer on your GPU and teaches it one fact at a time by updating only the
            few memory slots that fact reads far more than ordinary text does (sparse memory finetuning, Lin et al. 2025).
          </p>
        </section>
      </main>
    </div>
  );
}
