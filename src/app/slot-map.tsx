/**
 * All N memory slots as the sqrt(N) x sqrt(N) product-key grid on one <canvas>: what the latest fact read, its
 * TF-IDF scores, the top-t rows it wrote and by how much, and every slot changed so far. One canvas and one
 * ImageData, never a DOM node per slot (262,144 of them on the shipped model would take seconds to lay out).
 *
 * The pixels come from slot-map-image.ts (one per slot, tested in Node). They are scaled onto a backing store
 * of whole device pixels with smoothing off, so cells stay crisp at any devicePixelRatio; the selected slot's
 * crosshair and box are drawn at device resolution on top, where a one-cell outline would be invisible.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import {
  backingSize,
  SLOT_MAP_COLORS,
  SLOT_MAP_MODES,
  slotAtPoint,
  slotMapPixels,
  slotPosition,
  stepSlot,
  zoomOrigin,
  describeSlotValue,
  type Rgb,
  type SlotMapData,
  type SlotMapMode,
} from './slot-map-image';

export interface SlotMapProps extends SlotMapData {
  /** The slot being inspected: drawn with a crosshair along its row and column. */
  readonly selectedSlot?: number;
  /** Called with the slot id (row * side + col) on click, or when arrow keys move the selection. */
  readonly onSelectSlot?: (slot: number) => void;
  /** What the colours show. Leave out to let the map keep its own mode (starting at `defaultMode`). */
  readonly mode?: SlotMapMode;
  readonly defaultMode?: SlotMapMode;
  readonly onModeChange?: (mode: SlotMapMode) => void;
  /** Paint every slot changed so far under the other modes (a checkbox; starts on). */
  readonly defaultShowChanged?: boolean;
  /** Called after each draw with its duration in milliseconds (also on the canvas as data-draw-ms). */
  readonly onDrawn?: (ms: number) => void;
}

export function SlotMap(props: SlotMapProps) {
  const { side, reads, tfidf, selected, updateNorms, changed, selectedSlot, onSelectSlot, onDrawn } = props;
  const [ownMode, setOwnMode] = useState<SlotMapMode>(props.defaultMode ?? 'reads');
  const mode = props.mode ?? ownMode;
  const [showChanged, setShowChanged] = useState(props.defaultShowChanged ?? true);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const pixelBuffer = useRef<Uint8ClampedArray | undefined>(undefined);
  const [devicePixels, setDevicePixels] = useState(0);
  /** The slot under the pointer (shown in words and centred in the zoom), if any. */
  const [hovered, setHovered] = useState<number | undefined>(undefined);
  const zoomRef = useRef<HTMLCanvasElement>(null);
  const [zoomHover, setZoomHover] = useState<number | undefined>(undefined);

  // A fresh wrapper on every recompute: the buffer itself is reused, so its identity cannot signal a redraw.
  const image = useMemo(() => {
    const started = performance.now();
    const px = slotMapPixels({ side, reads, tfidf, selected, updateNorms, changed }, mode, showChanged, pixelBuffer.current);
    pixelBuffer.current = px;
    return { px, ms: performance.now() - started };
  }, [side, reads, tfidf, selected, updateNorms, changed, mode, showChanged]);

  // Track the canvas's size in device pixels, so the backing store matches the screen 1:1 (sharp on HiDPI).
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(([entry]) => {
      const computed = backingSize(entry.contentRect.width, window.devicePixelRatio, side);
      // The exact device-pixel box is better when present, but emulated zoom (DevTools, headless
      // deviceScaleFactor) reports CSS pixels there; trust it only when it agrees with width x ratio.
      const exact = entry.devicePixelContentBoxSize?.[0]?.inlineSize;
      setDevicePixels(exact !== undefined && Math.abs(exact - computed) <= 1 ? Math.max(side, exact) : computed);
    });
    try {
      observer.observe(canvas, { box: 'device-pixel-content-box' });
    } catch {
      observer.observe(canvas); // Safari has no device-pixel-content-box
    }
    return () => observer.disconnect();
  }, [side]);

  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    const started = performance.now();
    const size = Math.max(side, devicePixels || backingSize(canvas.clientWidth, window.devicePixelRatio, side));
    if (canvas.width !== size) canvas.width = size;
    if (canvas.height !== size) canvas.height = size;
    const cells = cellImage(side);
    cells.ctx.putImageData(new ImageData(image.px as Uint8ClampedArray<ArrayBuffer>, side, side), 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(cells.canvas, 0, 0, size, size);
    if (selectedSlot !== undefined && selectedSlot >= 0 && selectedSlot < side * side) drawCrosshair(ctx, selectedSlot, side, size);
    // Pixels are recomputed only when the data or mode change; a selection or resize redraws them as they are.
    const ms = performance.now() - started + image.ms;
    canvas.dataset.drawMs = ms.toFixed(2);
    onDrawn?.(ms);
  }, [image, side, selectedSlot, devicePixels, onDrawn]);

  // The zoom: ZOOM x ZOOM cells around the hovered slot (else the selected one, else the first written one),
  // magnified so single slots can be pointed at; clicking a cell there selects it.
  const zoomCenter = hovered ?? selectedSlot ?? (selected && selected.length > 0 ? selected[0] : Math.floor((side * side + side) / 2));
  const zoom = zoomOrigin(zoomCenter, side, Math.min(ZOOM, side));
  useEffect(() => {
    const canvas = zoomRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    const n = Math.min(ZOOM, side);
    const size = ZOOM_PIXELS;
    if (canvas.width !== size) canvas.width = size;
    if (canvas.height !== size) canvas.height = size;
    const cells = cellImage(side);
    cells.ctx.putImageData(new ImageData(image.px as Uint8ClampedArray<ArrayBuffer>, side, side), 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(cells.canvas, zoom.col, zoom.row, n, n, 0, 0, size, size);
    const cell = size / n;
    ctx.strokeStyle = 'rgba(29, 35, 48, 0.12)';
    ctx.lineWidth = 1;
    for (let i = 1; i < n; i++) {
      ctx.beginPath();
      ctx.moveTo(i * cell, 0);
      ctx.lineTo(i * cell, size);
      ctx.moveTo(0, i * cell);
      ctx.lineTo(size, i * cell);
      ctx.stroke();
    }
    const mark = (slot: number | undefined, color: string) => {
      if (slot === undefined) return;
      const { row, col } = slotPosition(slot, side);
      if (row < zoom.row || row >= zoom.row + n || col < zoom.col || col >= zoom.col + n) return;
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.strokeRect((col - zoom.col) * cell + 1, (row - zoom.row) * cell + 1, cell - 2, cell - 2);
    };
    mark(selectedSlot, '#1d2330');
    mark(hovered, '#2e5fb8');
  }, [image, side, zoom.row, zoom.col, selectedSlot, hovered]);

  const onMove = useCallback(
    (event: MouseEvent<HTMLCanvasElement>) => {
      const rect = event.currentTarget.getBoundingClientRect();
      const slot = slotAtPoint(event.clientX - rect.left, event.clientY - rect.top, rect.width, rect.height, side);
      setHovered(slot ?? undefined);
    },
    [side],
  );
  const onZoomClick = (event: MouseEvent<HTMLCanvasElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    const n = Math.min(ZOOM, side);
    const local = slotAtPoint(event.clientX - rect.left, event.clientY - rect.top, rect.width, rect.height, n);
    if (local === null) return;
    onSelectSlot?.((zoom.row + Math.floor(local / n)) * side + zoom.col + (local % n));
  };
  const onZoomMove = (event: MouseEvent<HTMLCanvasElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    const n = Math.min(ZOOM, side);
    const local = slotAtPoint(event.clientX - rect.left, event.clientY - rect.top, rect.width, rect.height, n);
    if (local !== null) setZoomHover((zoom.row + Math.floor(local / n)) * side + zoom.col + (local % n));
  };
  const pointed = hovered ?? zoomHover;
  const data = { side, reads, tfidf, selected, updateNorms, changed };

  const chooseMode = (next: SlotMapMode) => {
    setOwnMode(next);
    props.onModeChange?.(next);
  };

  const onClick = useCallback(
    (event: MouseEvent<HTMLCanvasElement>) => {
      const rect = event.currentTarget.getBoundingClientRect();
      const slot = slotAtPoint(event.clientX - rect.left, event.clientY - rect.top, rect.width, rect.height, side);
      if (slot !== null) onSelectSlot?.(slot);
    },
    [side, onSelectSlot],
  );

  const onKeyDown = (event: KeyboardEvent<HTMLCanvasElement>) => {
    if (event.key !== 'ArrowUp' && event.key !== 'ArrowDown' && event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    event.preventDefault();
    onSelectSlot?.(selectedSlot === undefined ? 0 : stepSlot(selectedSlot, side, event.key));
  };

  const help = SLOT_MAP_MODES.find((m) => m.mode === mode)?.help;
  const position = selectedSlot === undefined ? undefined : slotPosition(selectedSlot, side);
  return (
    <div className="slot-map" data-testid="slot-map-view" data-mode={mode}>
      <div className="slot-map-modes" role="radiogroup" aria-label="What the slot map shows">
        {SLOT_MAP_MODES.map((m) => (
          <label key={m.mode} title={m.help}>
            <input type="radio" name="slot-map-mode" value={m.mode} checked={mode === m.mode} onChange={() => chooseMode(m.mode)} /> {m.label}
          </label>
        ))}
      </div>
      {mode !== 'changed' && (
        <div className="slot-map-overlay">
          <label title="Paint every slot changed by any taught fact so far">
            <input type="checkbox" checked={showChanged} onChange={(e) => setShowChanged(e.target.checked)} data-testid="show-changed" /> Also show every slot
            changed so far (teal)
          </label>
        </div>
      )}
      <canvas
        ref={canvasRef}
        data-testid="slot-map"
        data-mode={mode}
        tabIndex={0}
        role="img"
        aria-label={`Memory slots, ${side} by ${side} product keys${position ? `; slot ${selectedSlot} selected (row ${position.row}, column ${position.col})` : ''}. Click a slot or use the arrow keys to inspect one.`}
        onClick={onClick}
        onMouseMove={onMove}
        onMouseLeave={() => setHovered(undefined)}
        onKeyDown={onKeyDown}
        style={{ width: '100%', maxWidth: 512, aspectRatio: '1', imageRendering: 'pixelated', display: 'block', cursor: 'crosshair' }}
      />
      <p className="slot-hover" aria-live="polite" data-testid="slot-hover" data-slot={pointed}>
        {pointed === undefined ? (
          <span className="muted">Point at a slot to see what it holds; the zoom below magnifies the {Math.min(ZOOM, side)} x {Math.min(ZOOM, side)} slots around it.</span>
        ) : (
          <>
            <strong>Slot {pointed}</strong> (row {slotPosition(pointed, side).row}, column {slotPosition(pointed, side).col}): {describeSlotValue(data, mode, pointed)}
          </>
        )}
      </p>
      <figure className="slot-zoom">
        <canvas
          ref={zoomRef}
          data-testid="slot-zoom"
          data-row={zoom.row}
          data-col={zoom.col}
          role="img"
          aria-label={`Zoom: slots of rows ${zoom.row} to ${zoom.row + Math.min(ZOOM, side) - 1}, columns ${zoom.col} to ${zoom.col + Math.min(ZOOM, side) - 1}, magnified. Click a cell to inspect that slot.`}
          onClick={onZoomClick}
          onMouseMove={onZoomMove}
          onMouseLeave={() => setZoomHover(undefined)}
          style={{ width: '100%', maxWidth: ZOOM_PIXELS, aspectRatio: '1', imageRendering: 'pixelated', display: 'block', cursor: 'pointer' }}
        />
        <figcaption className="muted">
          Zoom: rows {zoom.row}-{zoom.row + Math.min(ZOOM, side) - 1}, columns {zoom.col}-{zoom.col + Math.min(ZOOM, side) - 1} (follows the pointer, else the
          selected slot). Click a cell to inspect it.
        </figcaption>
      </figure>
      <Legend mode={mode} showChanged={showChanged || mode === 'changed'} help={help} />
    </div>
  );
}

function Legend({ mode, showChanged, help }: { mode: SlotMapMode; showChanged: boolean; help?: string }) {
  const ramp = mode === 'reads' ? SLOT_MAP_COLORS.reads : mode === 'tfidf' ? SLOT_MAP_COLORS.tfidf : mode === 'update' ? SLOT_MAP_COLORS.update : undefined;
  const rampLabel = mode === 'reads' ? ['1 read', 'most reads'] : mode === 'tfidf' ? ['low', 'highest TF-IDF'] : ['small', 'largest update'];
  return (
    <div className="slot-map-legend" data-testid="slot-map-legend" style={{ display: 'flex', flexWrap: 'wrap', gap: '0.25rem 1rem', alignItems: 'center' }}>
      {ramp && (
        <span>
          {rampLabel[0]} <Swatch colors={ramp} /> {rampLabel[1]}
        </span>
      )}
      {mode !== 'update' && (
        <span>
          <Swatch colors={[SLOT_MAP_COLORS.selected]} /> written by the latest fact
        </span>
      )}
      {mode === 'update' && (
        <span>
          <Swatch colors={[SLOT_MAP_COLORS.readMuted]} /> read, not written
        </span>
      )}
      {showChanged && (
        <span>
          <Swatch colors={[SLOT_MAP_COLORS.changed]} /> changed so far
        </span>
      )}
      <span>
        <Swatch colors={[SLOT_MAP_COLORS.empty]} /> untouched
      </span>
      {help && (
        <p className="muted" style={{ flexBasis: '100%', margin: 0 }}>
          {help}
        </p>
      )}
    </div>
  );
}

// React applies `style` through the CSSOM, which a style-src policy without 'unsafe-inline' allows.
function Swatch({ colors }: { colors: readonly Rgb[] }) {
  const css = colors.map(([r, g, b]) => `rgb(${r} ${g} ${b})`);
  const background = css.length === 1 ? css[0] : `linear-gradient(to right, ${css.join(', ')})`;
  return <span aria-hidden style={{ display: 'inline-block', width: css.length === 1 ? 12 : 48, height: 12, background, border: '1px solid #c5cad6', verticalAlign: 'middle' }} />;
}

/** The zoom shows ZOOM x ZOOM slots on a ZOOM_PIXELS square canvas (8 px a slot). */
const ZOOM = 32;
const ZOOM_PIXELS = 256;

/** One small offscreen canvas per grid size, reused: putImageData cannot scale, drawImage from it can. */
const cellImages = new Map<number, { canvas: HTMLCanvasElement | OffscreenCanvas; ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D }>();

function cellImage(side: number) {
  let image = cellImages.get(side);
  if (!image) {
    const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(side, side) : Object.assign(document.createElement('canvas'), { width: side, height: side });
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
    image = { canvas, ctx };
    cellImages.set(side, image);
  }
  return image;
}

function drawCrosshair(ctx: CanvasRenderingContext2D, slot: number, side: number, size: number) {
  const cell = size / side;
  const { row, col } = slotPosition(slot, side);
  const x = col * cell;
  const y = row * cell;
  const line = Math.max(1, Math.round(size / 512));
  ctx.save();
  // The row and column: every slot that shares this slot's first-half or second-half key.
  ctx.fillStyle = 'rgba(29, 35, 48, 0.18)';
  ctx.fillRect(0, y, size, cell);
  ctx.fillRect(x, 0, cell, size);
  const pad = Math.max(2 * line, cell);
  ctx.lineWidth = line;
  ctx.strokeStyle = '#ffffff';
  ctx.strokeRect(x - pad - line, y - pad - line, cell + 2 * (pad + line), cell + 2 * (pad + line));
  ctx.strokeStyle = '#1d2330';
  ctx.strokeRect(x - pad, y - pad, cell + 2 * pad, cell + 2 * pad);
  ctx.restore();
}
