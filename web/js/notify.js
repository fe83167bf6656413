// Notifications: order rejects, risk breaches, kill switch changes, feed
// events, connection problems. Newest first, bounded, announced politely to
// screen readers; the unread count clears when the panel is looked at.

import { $, el, fmtTime } from './util.js';

const MAX = 200;

export class Notifications {
  constructor() {
    this.list = $('#notes-list');
    this.unread = 0;
    this.recent = new Map(); // text -> time, to fold repeats
    $('#notes-clear').addEventListener('click', () => this.clearAll());
    $('#panel-notes').addEventListener('focusin', () => this.markRead());
    $('#panel-notes').addEventListener('click', () => this.markRead());
  }

  add(n) {
    const now = Date.now();
    const key = `${n.kind}|${n.text}|${n.correlationId || ''}`;
    if (now - (this.recent.get(key) || 0) < 1000) return;
    this.recent.set(key, now);
    if (this.recent.size > 500) this.recent.clear();
    const li = el('li', { class: `level-${n.level}`, dataset: { kind: n.kind || '', level: n.level, at: String(now) } },
      el('span', { class: 'note-time', text: fmtTime(n.ts ?? now) }),
      el('span', { class: 'sr-only', text: `${n.level}: ` }),
      el('span', { class: 'note-text', text: n.text }),
      n.correlationId ? el('span', { class: 'note-corr mono', text: `correlation ${n.correlationId}` }) : null);
    this.list.prepend(li);
    while (this.list.children.length > MAX) this.list.lastElementChild.remove();
    this.unread++;
    $('#notes-count').textContent = String(this.unread);
  }

  // An order of ours was rejected. The server usually says so on the
  // notification stream too: this one is added only if it did not (checked
  // a moment later, by the order's ids in the recent notes).
  reject(o) {
    const ids = [o.correlationId, o.orderId].filter(Boolean);
    setTimeout(() => {
      const since = Date.now() - 3000;
      for (const li of this.list.children) {
        if (Number(li.dataset.at) < since) break;
        if (ids.some((id) => li.textContent.includes(id))) return;
      }
      this.add({
        level: 'error',
        kind: 'ORDER_REJECTED',
        text: `Order rejected: ${o.side || ''} ${o.qty ?? ''} ${o.symbol || ''}${o.reason ? ` — ${o.reason}` : ''}`.replace(/\s+/g, ' '),
        correlationId: o.correlationId,
        ts: Date.now(),
      });
    }, 400);
  }

  markRead() {
    this.unread = 0;
    $('#notes-count').textContent = '';
  }

  clearAll() {
    this.list.replaceChildren();
    this.markRead();
  }
}
