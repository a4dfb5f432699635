// The stage: a looping test pattern standing in for the video, and what flies over it
// (danmaku, hearts, gift toasts, banners). Knows nothing about IM.
'use strict';

window.Stage = (() => {
  const BARS = ['#c0c0c0', '#c0c000', '#00c0c0', '#00c000', '#c000c0', '#c00000', '#0000c0'];
  const LANE_HEIGHT = 34;
  const LANES_TOP = 46; // below the ON AIR and elapsed-time labels
  const started = Date.now();
  let canvas;
  let title = '';
  let ended = false;
  let laneFree = []; // per lane: when its last danmaku has moved far enough for another

  const el = (id) => document.getElementById(id);

  function draw() {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    const t = (Date.now() - started) / 1000;

    // A slowly turning backdrop, colour bars, and a sweep across them.
    const hue = (t * 6) % 360;
    const bg = g.createLinearGradient(0, 0, w, h);
    bg.addColorStop(0, `hsl(${hue}, 45%, 12%)`);
    bg.addColorStop(1, `hsl(${(hue + 70) % 360}, 50%, 7%)`);
    g.fillStyle = bg;
    g.fillRect(0, 0, w, h);
    const top = h * 0.18;
    const bandH = h * 0.5;
    const barW = w / BARS.length;
    g.globalAlpha = 0.75;
    BARS.forEach((c, i) => {
      g.fillStyle = c;
      g.fillRect(i * barW, top, barW + 1, bandH);
    });
    g.globalAlpha = 1;
    const sweep = ((t * 0.25) % 1) * (w + 160) - 80;
    const shine = g.createLinearGradient(sweep - 80, 0, sweep + 80, 0);
    shine.addColorStop(0, 'rgba(255,255,255,0)');
    shine.addColorStop(0.5, 'rgba(255,255,255,0.28)');
    shine.addColorStop(1, 'rgba(255,255,255,0)');
    g.fillStyle = shine;
    g.fillRect(0, top, w, bandH);

    // A turning ring in the middle.
    const cx = w / 2;
    const cy = top + bandH / 2;
    const r = Math.min(w, h) * 0.16;
    g.lineWidth = 3;
    g.strokeStyle = 'rgba(255,255,255,0.85)';
    g.beginPath();
    g.arc(cx, cy, r, 0, Math.PI * 2);
    g.stroke();
    g.strokeStyle = '#ff3d7f';
    g.lineWidth = 6;
    g.beginPath();
    g.arc(cx, cy, r, t * 2, t * 2 + Math.PI * 0.6);
    g.stroke();
    g.fillStyle = '#fff';
    g.font = `700 ${Math.max(14, r * 0.42)}px ui-monospace, monospace`;
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    g.fillText(new Date().toTimeString().slice(0, 8), cx, cy);

    // Labels: on air, elapsed time, the room.
    g.textAlign = 'left';
    g.textBaseline = 'alphabetic';
    g.font = '700 13px system-ui, sans-serif';
    g.fillStyle = ended ? '#777' : Math.floor(t * 2) % 2 ? '#ff3d7f' : '#ff7aa5';
    g.beginPath();
    g.arc(20, 24, 5, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = '#fff';
    g.fillText(ended ? 'OFF AIR' : 'ON AIR', 32, 29);
    const secs = Math.floor(t);
    const elapsed = `${String(Math.floor(secs / 60)).padStart(2, '0')}:${String(secs % 60).padStart(2, '0')}`;
    g.textAlign = 'right';
    g.fillText(elapsed, w - 16, 29);
    g.textAlign = 'center';
    g.font = '600 15px system-ui, sans-serif';
    g.fillStyle = 'rgba(255,255,255,0.8)';
    g.fillText(title, w / 2, top + bandH + 34);
  }

  function loop() {
    draw();
    if (!ended) requestAnimationFrame(loop);
  }

  /** A lane whose previous danmaku has cleared the right edge, else the one that will soonest. */
  function pickLane(height) {
    const lanes = Math.max(1, Math.floor((height - LANES_TOP - 90) / LANE_HEIGHT));
    if (laneFree.length !== lanes) laneFree = new Array(lanes).fill(0);
    const now = Date.now();
    let best = 0;
    for (let i = 0; i < lanes; i++) {
      if (laneFree[i] <= now) return i;
      if (laneFree[i] < laneFree[best]) best = i;
    }
    return best;
  }

  return {
    start(canvasEl, roomTitle) {
      canvas = canvasEl;
      title = roomTitle;
      requestAnimationFrame(loop);
    },

    /** Stops the pattern (the room ended). */
    end() {
      ended = true;
      el('stage').classList.add('ended');
      draw();
    },

    danmaku(text, who, mine) {
      const layer = el('danmaku');
      const width = layer.clientWidth;
      const item = document.createElement('div');
      item.className = mine ? 'danmaku mine' : 'danmaku';
      const name = document.createElement('span');
      name.className = 'who';
      name.textContent = who;
      item.append(name, document.createTextNode(text));
      const lane = pickLane(layer.clientHeight);
      item.style.top = `${LANES_TOP + lane * LANE_HEIGHT}px`;
      item.style.setProperty('--from', `${width}px`);
      layer.appendChild(item);
      // Same speed for every item: the duration grows with the distance travelled.
      const speed = 150; // px/s
      const duration = (width + item.offsetWidth) / speed;
      item.style.setProperty('--duration', `${duration}s`);
      laneFree[lane] = Date.now() + ((item.offsetWidth + 40) / speed) * 1000;
      item.addEventListener('animationend', () => item.remove());
    },

    hearts(count) {
      const layer = el('hearts');
      for (let i = 0; i < Math.min(count, 12); i++) {
        const heart = document.createElement('div');
        heart.className = 'heart';
        heart.textContent = '❤';
        heart.style.setProperty('--h', ['#ff3d7f', '#ff7aa5', '#ffc247', '#b06bff'][i % 4]);
        heart.style.setProperty('--dx', `${Math.round(Math.random() * -80 + 10)}px`);
        heart.style.animationDelay = `${i * 90}ms`;
        heart.addEventListener('animationend', () => heart.remove());
        layer.appendChild(heart);
      }
    },

    /** `label` is a list of nodes and strings, e.g. an icon and the gift's name. */
    giftToast(avatarEl, nick, label, count, combo) {
      const layer = el('giftToasts');
      const toast = document.createElement('div');
      toast.className = 'gift-toast';
      const text = document.createElement('span');
      text.append(`${nick} sent `, ...label);
      const n = document.createElement('span');
      n.className = 'count';
      n.textContent = combo > count ? `×${count} · combo ${combo}` : `×${count}`;
      toast.append(avatarEl, text, n);
      layer.appendChild(toast);
      while (layer.children.length > 4) layer.firstChild.remove();
      setTimeout(() => toast.remove(), 4200);
    },

    /** A system notice or broadcast across the top of the stage, for `ms`. */
    banner(text, kind, ms = 9000) {
      const layer = el('banners');
      const banner = document.createElement('div');
      banner.className = `banner ${kind}`;
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = kind === 'broadcast' ? 'BROADCAST' : 'NOTICE';
      const body = document.createElement('span');
      body.className = 'text';
      body.textContent = text;
      banner.append(label, body);
      layer.appendChild(banner);
      while (layer.children.length > 3) layer.firstChild.remove();
      setTimeout(() => banner.remove(), ms);
    },
  };
})();
