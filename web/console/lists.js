// The console's lists: people (members, muted, banned) with their buttons, and chips.
'use strict';

window.Lists = (() => {
  const esc = (s) => roomcast.esc(s);

  /** A row of a people list: avatar, name, a grey note (the UserID unless given), buttons. */
  function person(account, nick, avatar, actions, note = account) {
    const li = document.createElement('li');
    li.dataset.id = account;
    if (avatar) li.innerHTML = `<img src="${esc(avatar)}" alt="">`;
    li.insertAdjacentHTML(
      'beforeend',
      `<b>${esc(nick || account)}</b><span class="id">${esc(note)}</span><span class="spacer"></span>`,
    );
    for (const [label, fn, cls] of actions) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = label;
      if (cls) b.className = cls;
      b.onclick = fn;
      li.appendChild(b);
    }
    return li;
  }

  function fill(list, items, empty) {
    list.replaceChildren(...items);
    if (!items.length) list.innerHTML = `<li class="none">${empty}</li>`;
  }

  return { person, fill };
})();
