// Helpers shared by the pages: the development endpoints, and what to say when the Web SDK
// package is not installed.
'use strict';

window.roomcast = {
  /** The command that installs the Web SDK the pages load (web/package-lock.json pins it). */
  INSTALL_COMMAND: 'npm ci --prefix web',

  /** `ws://host` or `wss://host` of the page's own server: where roomcast's gateway listens. */
  wsOrigin() {
    return location.origin.replace(/^http/, 'ws');
  },

  /** GET a JSON endpoint that answers with the Tencent envelope; rejects with its ErrorInfo. */
  async getJson(url) {
    const res = await fetch(url, { cache: 'no-store' });
    if (!res.ok) throw Object.assign(new Error(`${url}: HTTP ${res.status}`), { status: res.status });
    const body = await res.json();
    if (body.ActionStatus && body.ActionStatus !== 'OK') {
      throw Object.assign(new Error(`${body.ErrorCode}: ${body.ErrorInfo}`), { code: body.ErrorCode });
    }
    return body;
  },

  /** The development app's settings, or null when the server runs a configured app. */
  async devConfig() {
    try {
      return await this.getJson('/dev/config');
    } catch (e) {
      if (e.status === 404 || e.status === 403) return null;
      throw e;
    }
  },

  /** A UserSig from the development endpoint (development app only). */
  async devUserSig(userID) {
    const body = await this.getJson(`/dev/usersig?user=${encodeURIComponent(userID)}`);
    return body.UserSig;
  },

  /** Fills `el` with the instructions for installing the missing SDK, and shows it. */
  showSdkMissing(el) {
    el.innerHTML = `<b>The Tencent Web SDK is not installed.</b> This page loads the official
      <code>@tencentcloud/chat</code> package from <code>web/node_modules</code>, exactly as a page written
      for Tencent IM does. From the repository root, run:<pre>${this.INSTALL_COMMAND}</pre>
      then reload this page (<code>scripts/run</code> does it for you).`;
    el.classList.remove('hidden');
    el.dataset.state = 'sdk-missing';
  },

  /** Escapes text for innerHTML. */
  esc(text) {
    return String(text).replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
    );
  },
};
