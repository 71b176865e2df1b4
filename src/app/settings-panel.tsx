/**
 * Method settings (t, lr, batch size, how often to evaluate, the baselines' learning rates) and the method
 * race. Settings are applied with a button so a half-typed number never reaches the worker; they go into the
 * URL, so a link reproduces them.
 */
import { useState, type FormEvent } from 'react';
import type { PackName } from '../facts/fact';
import { METHOD_DEFAULTS } from '../learn/method-defaults';
import type { LearnSettings } from '../worker/protocol';
import { SETTING_LIMITS, settingsProblems } from '../worker/settings';
import type { Engine } from './use-engine';

const FIELDS: (keyof LearnSettings)[] = ['t', 'lr', 'steps', 'paraphrases', 'fullLr', 'loraLr', 'evalEvery'];

export function SettingsPanel({ engine, settings, pack, onApply }: { engine: Engine; settings: LearnSettings; pack: PackName; onApply(s: LearnSettings): void }) {
  const [draft, setDraft] = useState<Record<keyof LearnSettings, string>>(() => toDraft(settings));
  const [raceCount, setRaceCount] = useState(20);
  const parsed = Object.fromEntries(FIELDS.map((k) => [k, Number(draft[k])])) as unknown as LearnSettings;
  const problems = settingsProblems(parsed);
  const dirty = FIELDS.some((k) => parsed[k] !== settings[k]);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    if (problems.length === 0) onApply(parsed);
  };
  const racing = engine.race.status === 'preparing' || engine.race.status === 'running';
  return (
    <section className="panel settings" data-testid="settings-panel">
      <h2>Method settings and race</h2>
      <form onSubmit={apply} className="settings-grid">
        {FIELDS.map((key) => (
          <label key={key}>
            <span>{SETTING_LIMITS[key].label}</span>
            <input inputMode="decimal" value={draft[key]} onChange={(e) => setDraft({ ...draft, [key]: e.target.value })} data-testid={`setting-${key}`} />
          </label>
        ))}
        <button type="submit" disabled={!dirty || problems.length > 0} data-testid="settings-apply">
          Apply
        </button>
      </form>
      {problems.length > 0 && (
        <p className="problem" data-testid="settings-problem">
          {problems.join(' ')}
        </p>
      )}
      <div className="row buttons race-controls">
        <label>
          Race on{' '}
          <input type="number" min={1} max={400} value={raceCount} onChange={(e) => setRaceCount(Math.max(1, Math.min(400, Number(e.target.value) || 1)))} data-testid="race-count" />{' '}
          facts of "{pack}"
        </label>
        <button type="button" disabled={!engine.ready || racing} onClick={() => engine.send({ type: 'race-start', pack, count: raceCount })} data-testid="race-start">
          Start race
        </button>
        <button type="button" disabled={!racing} onClick={() => engine.send({ type: 'race-stop' })} data-testid="race-stop">
          Stop race
        </button>
      </div>
      <p className="muted" data-testid="race-settings">
        Matched learning: every method takes steps until the fact's training wordings give its answer (each answer token at probability {METHOD_DEFAULTS.full.answerProb} or
        more, at most {METHOD_DEFAULTS.full.maxSteps} steps), so each learns a fact as it comes (sparse: t {settings.t}, lr {settings.lr}; full finetuning:{' '}
        {METHOD_DEFAULTS.full.optimizer === 'sgd' ? `SGD lr ${settings.fullLr}, value table lr ${METHOD_DEFAULTS.full.valueLr}` : `AdamW lr ${settings.fullLr}`}; LoRA: rank {METHOD_DEFAULTS.lora.rank} on every dense matrix and rank {METHOD_DEFAULTS.lora.valueRank} on the value table,{' '}
        {METHOD_DEFAULTS.lora.optimizer === 'sgd' ? `SGD lr ${settings.loraLr}, value adapter lr ${METHOD_DEFAULTS.lora.valueLr}` : `AdamW lr ${settings.loraLr}`}). At these settings full finetuning and LoRA
        answer at least 90% as many of a stream's facts at its end as sparse does (on the shipped model, a few more than sparse); then the retention chart shows who forgets what the model knew (see the README).
      </p>
      <p className="muted" data-testid="race-status">
        {engine.race.status === 'idle'
          ? 'The race teaches the same facts to three fresh copies of the pretrained model (sparse memory finetuning, full finetuning, LoRA) and overlays their curves. Your taught facts are not touched.'
          : `${engine.race.status}: ${engine.race.index} of ${engine.race.total} facts. ${Object.values(engine.race.labels).join(' · ')}`}
      </p>
    </section>
  );
}

function toDraft(settings: LearnSettings): Record<keyof LearnSettings, string> {
  return Object.fromEntries(FIELDS.map((k) => [k, String(settings[k])])) as Record<keyof LearnSettings, string>;
}
