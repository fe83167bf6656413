// Per-user preferences in localStorage, keyed by tenant and username:
// theme, layout, collapsed panels, watchlists (ordered; each an ordered list
// of symbols) and the active watchlist.

const VERSION = 1;

function defaults() {
  return {
    v: VERSION,
    theme: window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light',
    layout: 'grid',
    collapsed: {},
    watchlists: [],
    active: null,
  };
}

let nextId = 1;
const newId = () => `wl${Date.now().toString(36)}${(nextId++).toString(36)}`;

export class Prefs {
  constructor(tenant, username) {
    this.key = `orion.prefs.${tenant || 'default'}/${username}`;
    this.data = defaults();
    try {
      const raw = localStorage.getItem(this.key);
      if (raw) this.data = sanitize(JSON.parse(raw));
    } catch { /* unreadable: start from defaults */ }
  }

  save() {
    try { localStorage.setItem(this.key, JSON.stringify(this.data)); } catch { /* quota or disabled */ }
  }

  get theme() { return this.data.theme; }
  set theme(t) { this.data.theme = t === 'dark' ? 'dark' : 'light'; this.save(); }
  get layout() { return this.data.layout; }
  set layout(l) { this.data.layout = ['grid', 'stack', 'focus'].includes(l) ? l : 'grid'; this.save(); }
  isCollapsed(panel) { return !!this.data.collapsed[panel]; }
  setCollapsed(panel, c) { this.data.collapsed[panel] = !!c; this.save(); }

  // Watchlists
  get watchlists() { return this.data.watchlists; }
  get activeList() {
    return this.data.watchlists.find((w) => w.id === this.data.active) || this.data.watchlists[0] || null;
  }
  setActive(id) { this.data.active = id; this.save(); }

  ensureDefault(symbols) {
    if (this.data.watchlists.length) return;
    const w = { id: newId(), name: 'Default', symbols: symbols.slice(0, 12) };
    this.data.watchlists.push(w);
    this.data.active = w.id;
    this.save();
  }

  createList(name) {
    const w = { id: newId(), name: name.trim().slice(0, 40) || 'Watchlist', symbols: [] };
    this.data.watchlists.push(w);
    this.data.active = w.id;
    this.save();
    return w;
  }

  renameList(id, name) {
    const w = this.data.watchlists.find((x) => x.id === id);
    if (w && name.trim()) { w.name = name.trim().slice(0, 40); this.save(); }
  }

  // Move a watchlist by `delta` places (-1 earlier, +1 later).
  moveList(id, delta) {
    const a = this.data.watchlists;
    const i = a.findIndex((x) => x.id === id);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= a.length) return false;
    [a[i], a[j]] = [a[j], a[i]];
    this.save();
    return true;
  }

  deleteList(id) {
    const a = this.data.watchlists;
    const i = a.findIndex((x) => x.id === id);
    if (i < 0) return;
    a.splice(i, 1);
    if (this.data.active === id) this.data.active = a[Math.max(0, i - 1)]?.id ?? null;
    this.save();
  }

  addSymbol(id, sym) {
    const w = this.data.watchlists.find((x) => x.id === id);
    if (w && !w.symbols.includes(sym)) { w.symbols.push(sym); this.save(); }
  }

  removeSymbol(id, sym) {
    const w = this.data.watchlists.find((x) => x.id === id);
    if (!w) return;
    w.symbols = w.symbols.filter((s) => s !== sym);
    this.save();
  }

  moveSymbol(id, sym, delta) {
    const w = this.data.watchlists.find((x) => x.id === id);
    if (!w) return false;
    const i = w.symbols.indexOf(sym);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= w.symbols.length) return false;
    [w.symbols[i], w.symbols[j]] = [w.symbols[j], w.symbols[i]];
    this.save();
    return true;
  }
}

// Stored data is input too: keep only well-formed parts.
function sanitize(d) {
  const out = defaults();
  if (!d || typeof d !== 'object' || d.v !== VERSION) return out;
  if (d.theme === 'dark' || d.theme === 'light') out.theme = d.theme;
  if (['grid', 'stack', 'focus'].includes(d.layout)) out.layout = d.layout;
  if (d.collapsed && typeof d.collapsed === 'object') {
    for (const [k, v] of Object.entries(d.collapsed)) out.collapsed[String(k)] = !!v;
  }
  if (Array.isArray(d.watchlists)) {
    for (const w of d.watchlists.slice(0, 50)) {
      if (!w || typeof w.id !== 'string' || typeof w.name !== 'string' || !Array.isArray(w.symbols)) continue;
      out.watchlists.push({
        id: w.id.slice(0, 40),
        name: w.name.slice(0, 40),
        symbols: [...new Set(w.symbols.filter((s) => typeof s === 'string').map((s) => s.slice(0, 16)))].slice(0, 200),
      });
    }
  }
  out.active = typeof d.active === 'string' ? d.active : null;
  return out;
}
