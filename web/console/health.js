// The console's health panel: server-wide figures from /metrics, and rates between readings.
'use strict';

window.Health = (() => {
  const $ = (id) => document.getElementById(id);
  const esc = (s) => roomcast.esc(s);

  let lastMetrics = null;
  async function refresh() {
    const m = await Api.metrics();
    const at = Date.now();
    const delivered = Api.sum(m, 'roomcast_messages_delivered_total');
    const dropped = Api.sum(m, 'roomcast_messages_dropped_total');
    const dt = lastMetrics ? (at - lastMetrics.at) / 1000 : 0;
    const rate = (now, before) => (dt > 0 ? Math.max(0, now - before) / dt : 0);
    const failures = Api.sum(m, 'roomcast_callback_failures_total');
    const rows = [
      ['WebSocket sessions', Api.sum(m, 'roomcast_sessions')],
      ['Messages delivered / s', rate(delivered, lastMetrics ? lastMetrics.delivered : delivered).toFixed(1)],
      ['Dropped by frequency control', dropped, dropped > 0],
      ['Items shed for slow viewers', Api.sum(m, 'roomcast_items_shed_total')],
      ['Callback failures', failures, failures > 0],
      ['Callbacks dropped (queue full)', Api.sum(m, 'roomcast_callbacks_dropped_total')],
      ['REST calls refused', Api.sum(m, 'roomcast_rest_requests_total', (l) => l.code !== '0')],
    ];
    $('health').innerHTML = rows
      .map(([k, v, bad]) => `<dt>${k}</dt><dd class="${bad ? 'bad' : ''}" data-metric="${esc(k)}">${v}</dd>`)
      .join('');
    const byCommand = (m.roomcast_callback_failures_total || []).map((s) => `${s.labels.command}: ${s.value}`);
    $('callbackFailures').textContent = byCommand.length ? `Failures by callback: ${byCommand.join(', ')}` : '';
    lastMetrics = { at, delivered };
  }

  return { refresh };
})();
