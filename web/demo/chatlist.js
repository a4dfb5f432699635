// The chat list: message lines with avatar and nick, tips, gifts and system lines.
'use strict';

window.ChatList = (() => {
  function avatarEl(url, name) {
    if (url) {
      const img = document.createElement('img');
      img.className = 'avatar';
      img.alt = '';
      img.src = url;
      return img;
    }
    // No avatar: the first letter on a colour derived from the name.
    const span = document.createElement('span');
    span.className = 'avatar initial';
    const hue = [...String(name)].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 7);
    span.style.background = `hsl(${hue}, 70%, 62%)`;
    span.textContent = String(name || '?')
      .slice(0, 1)
      .toUpperCase();
    return span;
  }

  /** Appends a line; `who` ({userID, nick, avatar}) makes it a message line with avatar and nick.
   * `text` is a string, or a list of strings and nodes; `myId` marks the viewer's own lines. */
  function add(kind, text, who, myId) {
    const list = document.getElementById('messages');
    const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 30;
    const li = document.createElement('li');
    li.className = kind;
    if (who) {
      li.dataset.from = who.userID;
      if (myId && who.userID === myId) li.classList.add('mine');
      const body = document.createElement('div');
      body.className = 'body';
      const nick = document.createElement('span');
      nick.className = 'nick';
      nick.textContent = who.nick || who.userID;
      const t = document.createElement('span');
      t.className = 'text';
      t.append(...[].concat(text));
      body.append(nick, t);
      li.append(avatarEl(who.avatar, who.nick || who.userID), body);
    } else {
      li.textContent = text;
    }
    list.appendChild(li);
    while (list.children.length > 300) list.firstChild.remove();
    if (stick) list.scrollTop = list.scrollHeight;
    return li;
  }

  return { avatarEl, add };
})();
