// Merging taps into few messages, so a burst of gifts or likes costs the room a handful of
// messages, not one per tap (a room delivers 40 messages a second at most).
'use strict';

/**
 * Gift combos: taps are counted and sent as one message per `max` taps, or `windowMs` after the
 * first tap not sent yet, whichever comes first. `combo` is the length of the current streak
 * (taps with less than `streakMs` between them), which receivers show as "combo N".
 */
class GiftCombo {
  constructor({ send, max = 20, windowMs = 1000, streakMs = 3000, now = () => Date.now() }) {
    Object.assign(this, { send, max, windowMs, streakMs, now });
    this.pending = 0;
    this.combo = 0;
    this.lastTap = -Infinity;
    this.timer = null;
  }

  tap() {
    const t = this.now();
    if (t - this.lastTap > this.streakMs) this.combo = 0;
    this.lastTap = t;
    this.pending += 1;
    this.combo += 1;
    if (this.pending >= this.max) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.windowMs);
    return this.combo;
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.pending === 0) return;
    const count = this.pending;
    this.pending = 0;
    this.send(count, this.combo);
  }
}

/**
 * Like throttling: the first tap after a quiet spell is sent at once; the taps that follow are
 * merged and sent at most once per `intervalMs`, as one message carrying their count.
 */
class LikeThrottle {
  constructor({ send, intervalMs = 1000, now = () => Date.now() }) {
    Object.assign(this, { send, intervalMs, now });
    this.pending = 0;
    this.lastSent = -Infinity;
    this.timer = null;
  }

  tap() {
    this.pending += 1;
    if (this.timer) return;
    const wait = this.lastSent + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.pending === 0) return;
    const count = this.pending;
    this.pending = 0;
    this.lastSent = this.now();
    this.send(count);
  }
}

if (typeof module !== 'undefined') module.exports = { GiftCombo, LikeThrottle };
