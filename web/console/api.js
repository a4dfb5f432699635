// The console's only way into the server: Tencent's REST API as an app administrator, and the
// Prometheus text on /metrics.
'use strict';

class RestError extends Error {
  constructor(path, code, info) {
    super(`${code}: ${info}`);
    Object.assign(this, { path, code, info });
  }
}

class Api {
  constructor({ sdkAppId, identifier, userSig }) {
    Object.assign(this, { sdkAppId, identifier, userSig });
  }

  /** POST /v4/<service>/<command> with the administrator's UserSig; resolves with the reply. */
  async call(path, body = {}) {
    const q = new URLSearchParams({
      sdkappid: this.sdkAppId,
      identifier: this.identifier,
      usersig: this.userSig,
      random: String(Math.floor(Math.random() * 4294967295)),
      contenttype: 'json',
    });
    const res = await fetch(`/v4/${path}?${q}`, { method: 'POST', body: JSON.stringify(body), cache: 'no-store' });
    if (!res.ok) throw new RestError(path, res.status, `HTTP ${res.status}`);
    const reply = await res.json();
    if (reply.ActionStatus !== 'OK') throw new RestError(path, reply.ErrorCode, reply.ErrorInfo);
    return reply;
  }

  /** Every group id of the app, up to `limit`, and how many there are. */
  async groupIds(limit = 200) {
    const reply = await this.call('group_open_http_svc/get_appid_group_list', { Limit: limit });
    return { ids: reply.GroupIdList.map((g) => g.GroupId), total: reply.TotalCount };
  }

  /** get_group_info for any number of groups (the command takes 50 at a time). */
  async groupInfo(ids) {
    const out = [];
    for (let i = 0; i < ids.length; i += 50) {
      const reply = await this.call('group_open_http_svc/get_group_info', { GroupIdList: ids.slice(i, i + 50) });
      out.push(...reply.GroupInfo);
    }
    return out;
  }

  /** Samples of /metrics: {name: [{labels, value}]}. */
  static async metrics() {
    const res = await fetch('/metrics', { cache: 'no-store' });
    if (!res.ok) throw new Error(`/metrics: HTTP ${res.status}`);
    const out = {};
    for (const line of (await res.text()).split('\n')) {
      const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/);
      if (!m) continue;
      const labels = {};
      for (const [, k, v] of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
      (out[m[1]] = out[m[1]] || []).push({ labels, value: Number(m[3]) });
    }
    return out;
  }

  /** The sum of a metric's samples, optionally only those whose labels pass `filter`. */
  static sum(metrics, name, filter = () => true) {
    return (metrics[name] || []).filter((s) => filter(s.labels)).reduce((a, s) => a + s.value, 0);
  }
}
