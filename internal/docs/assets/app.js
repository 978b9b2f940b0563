// The ingot docs page: a list of the project's nodes, one page per node
// (description, columns, tests, SQL, last run) and lineage graphs drawn
// as SVG. Plain script, no modules and no network: the page must work
// opened from file:// as well as served.
(function () {
  'use strict';

  var SVGNS = 'http://www.w3.org/2000/svg';
  var TYPE_ORDER = ['model', 'seed', 'source', 'snapshot', 'exposure', 'test'];
  var TYPE_TITLE = { model: 'Models', seed: 'Seeds', source: 'Sources', snapshot: 'Snapshots', exposure: 'Exposures', test: 'Tests' };
  // Above this many nodes in a level of a neighbourhood, the rest fold
  // into one "+N more" box: a seed read by 300 models stays legible.
  var LEVEL_CAP = 12;
  var LIST_CAP = 300; // list entries per group before "refine the search"
  var COLUMN_GRAPH_CAP = 300;

  var data = window.INGOT_DOCS;
  var main = document.getElementById('main');
  var listEl = document.getElementById('node-list');
  var searchEl = document.getElementById('search');

  if (!data || !data.nodes) {
    main.innerHTML = '<div class="empty"><h2>No project data</h2><p>data.js is missing next to index.html. ' +
      'Run <code>ingot docs generate</code> and open target/docs/index.html again.</p></div>';
    return;
  }

  // ---- model ---------------------------------------------------------

  var nodes = data.nodes;
  var byId = new Map();
  var children = new Map();
  nodes.forEach(function (n) {
    byId.set(n.id, n);
    children.set(n.id, []);
    n.parents = n.parents || [];
    n.columns = n.columns || [];
    n.tests = n.tests || [];
    n._search = (n.name + ' ' + n.id + ' ' + (n.path || '') + ' ' + (n.relation || '') + ' ' +
      (n.tags || []).join(' ') + ' ' + n.columns.map(function (c) { return c.name; }).join(' ')).toLowerCase();
  });
  nodes.forEach(function (n) {
    n.parents.forEach(function (p) { children.get(p).push(n.id); });
  });
  // Column-level lineage, both ways: key "node\u0000column".
  var colKey = function (node, col) { return node + '\u0000' + col.toLowerCase(); };
  var colDown = new Map();
  nodes.forEach(function (n) {
    n.columns.forEach(function (c) {
      (c.lineage || []).forEach(function (ref) {
        var k = colKey(ref.node, ref.column);
        if (!colDown.has(k)) colDown.set(k, []);
        colDown.get(k).push({ node: n.id, column: c.name });
      });
    });
  });

  function inGraph(n) { return n.type !== 'test'; }

  // ---- small DOM helpers --------------------------------------------

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    setAttrs(e, attrs);
    append(e, kids);
    return e;
  }
  function svg(tag, attrs, kids) {
    var e = document.createElementNS(SVGNS, tag);
    setAttrs(e, attrs);
    append(e, kids);
    return e;
  }
  function setAttrs(e, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'text') e.textContent = v;
      else if (k === 'onclick') e.addEventListener('click', v);
      else e.setAttribute(k, v);
    });
  }
  function append(e, kids) {
    if (kids === undefined || kids === null) return;
    if (!Array.isArray(kids)) kids = [kids];
    kids.forEach(function (k) {
      if (k === null || k === undefined || k === false) return;
      e.appendChild(typeof k === 'string' ? document.createTextNode(k) : k);
    });
  }
  function link(id, text, cls) {
    return el('a', { href: nodeHash(id), class: cls || 'node-link', text: text || label(id) });
  }
  function label(id) {
    var n = byId.get(id);
    return n ? n.name : id;
  }
  function badge(type) { return el('span', { class: 'badge t-' + type, text: type }); }
  function statusPill(st) {
    if (!st) return null;
    return el('span', { class: 'status s-' + st.status, title: st.message || st.status, text: st.status });
  }
  function nodeHash(id, col) {
    return '#!/node/' + encodeURIComponent(id) + (col ? '/column/' + encodeURIComponent(col) : '');
  }

  // ---- header --------------------------------------------------------

  document.getElementById('project').textContent = data.project || '';
  (function () {
    var parts = [];
    if (data.target) parts.push('target ' + data.target + (data.adapter ? ' (' + data.adapter + ')' : ''));
    if (data.run_at) parts.push('last run ' + (data.run_command ? data.run_command + ' ' : '') + shortTime(data.run_at));
    if (!data.has_catalog) parts.push('no catalog: column types are as declared');
    document.getElementById('run-info').textContent = parts.join(' · ');
  })();

  function shortTime(s) {
    if (!s) return '';
    var d = new Date(s);
    if (isNaN(d.getTime())) return s;
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC');
  }

  // ---- the list ------------------------------------------------------

  var collapsed = { test: true };

  function score(n, q) {
    var name = n.name.toLowerCase();
    if (name === q) return 0;
    if (name.indexOf(q) === 0) return 1;
    if (name.indexOf(q) >= 0) return 2;
    if (n._search.indexOf(q) >= 0) return 3;
    if ((n.description || '').toLowerCase().indexOf(q) >= 0) return 4;
    return -1;
  }

  function renderList() {
    var q = searchEl.value.trim().toLowerCase();
    var groups = {};
    nodes.forEach(function (n) {
      var s = q ? score(n, q) : 0;
      if (s < 0) return;
      (groups[n.type] = groups[n.type] || []).push({ n: n, s: s });
    });
    var frag = document.createDocumentFragment();
    var types = TYPE_ORDER.concat(Object.keys(groups).filter(function (t) { return TYPE_ORDER.indexOf(t) < 0; }));
    var total = 0;
    types.forEach(function (t) {
      var g = groups[t];
      if (!g) return;
      total += g.length;
      g.sort(function (a, b) { return a.s - b.s || a.n.name.localeCompare(b.n.name) || a.n.id.localeCompare(b.n.id); });
      var closed = !q && collapsed[t];
      var head = el('button', { class: 'group-head', 'data-type': t, 'aria-expanded': String(!closed) },
        [el('span', { class: 'caret', text: closed ? '▸' : '▾' }), (TYPE_TITLE[t] || t) + ' ', el('span', { class: 'count', text: String(g.length) })]);
      head.addEventListener('click', function () { collapsed[t] = !collapsed[t]; renderList(); });
      frag.appendChild(head);
      if (closed) return;
      var ul = el('ul', { class: 'group', 'data-type': t });
      g.slice(0, LIST_CAP).forEach(function (e) {
        var n = e.n;
        var li = el('li', { class: 'item' + (n.id === current.id ? ' active' : ''), 'data-id': n.id, title: n.id },
          [el('a', { href: nodeHash(n.id) }, [
            el('span', { class: 'dot t-' + n.type }),
            el('span', { class: 'item-name', text: n.name }),
            n.status && /error|fail/.test(n.status.status) ? el('span', { class: 'item-flag', text: n.status.status }) : null,
            el('span', { class: 'item-sub', text: n.type === 'test' ? label((n.attached_to || [])[0] || '') : (n.relation || n.path || '') })
          ])]);
        ul.appendChild(li);
      });
      if (g.length > LIST_CAP) ul.appendChild(el('li', { class: 'more', text: (g.length - LIST_CAP) + ' more: refine the search' }));
      frag.appendChild(ul);
    });
    if (!total) frag.appendChild(el('p', { class: 'none', text: 'Nothing matches “' + searchEl.value.trim() + '”.' }));
    listEl.replaceChildren(frag);
  }

  searchEl.addEventListener('input', renderList);
  searchEl.addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter') {
      var first = listEl.querySelector('li.item');
      if (first) location.hash = nodeHash(first.getAttribute('data-id'));
    } else if (ev.key === 'Escape') {
      searchEl.value = '';
      renderList();
    }
  });
  document.addEventListener('keydown', function (ev) {
    if (ev.key === '/' && document.activeElement !== searchEl) {
      ev.preventDefault();
      searchEl.focus();
    }
  });

  // ---- routing -------------------------------------------------------

  var current = { id: null, column: null };
  var graphState = { depth: 2, whole: false, cap: LEVEL_CAP };

  function route() {
    var h = location.hash;
    var m = /^#!\/node\/([^/]+)(?:\/column\/(.+))?$/.exec(h);
    var id = m ? decodeURIComponent(m[1]) : null;
    var col = m && m[2] ? decodeURIComponent(m[2]) : null;
    if (id && !byId.has(id)) {
      current = { id: null, column: null };
      renderMissing(id);
    } else if (id && id === current.id && main.querySelector('[data-node="' + cssEscape(id) + '"]')) {
      // Only the column changed: keep the page and its graph as they are.
      current.column = col;
      document.querySelectorAll('#columns tr.picked').forEach(function (tr) { tr.classList.remove('picked'); });
      if (col) showColumnLineage(byId.get(id), col);
      else document.getElementById('column-lineage').hidden = true;
    } else if (id) {
      graphState.cap = LEVEL_CAP;
      current = { id: id, column: col };
      renderNode(byId.get(id));
    } else {
      current = { id: null, column: null };
      renderOverview();
    }
    listEl.querySelectorAll('li.item.active').forEach(function (li) { li.classList.remove('active'); });
    if (current.id) {
      var li = listEl.querySelector('li.item[data-id="' + cssEscape(current.id) + '"]');
      if (li) li.classList.add('active');
    }
  }
  function cssEscape(s) { return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, '\\$&'); }
  window.addEventListener('hashchange', route);

  function renderMissing(id) {
    main.replaceChildren(el('div', { class: 'empty' }, [el('h2', { text: 'Not in this project' }),
      el('p', { text: id + ' is not in the manifest these docs were generated from.' })]));
  }

  // ---- overview ------------------------------------------------------

  function renderOverview() {
    var counts = {};
    var statuses = {};
    nodes.forEach(function (n) {
      counts[n.type] = (counts[n.type] || 0) + 1;
      if (n.status) statuses[n.status.status] = (statuses[n.status.status] || 0) + 1;
    });
    var cards = TYPE_ORDER.filter(function (t) { return counts[t]; }).map(function (t) {
      return el('div', { class: 'stat' }, [el('div', { class: 'stat-n', text: String(counts[t]) }), el('div', { class: 'stat-l', text: TYPE_TITLE[t] })]);
    });
    var run = Object.keys(statuses).sort().map(function (s) {
      return el('span', { class: 'status s-' + s, text: statuses[s] + ' ' + s });
    });
    var graphNodes = nodes.filter(inGraph).map(function (n) { return n.id; });
    var card = el('section', { class: 'card' }, [el('h3', { text: 'Project graph' })]);
    var view = el('div', { class: 'graph-view' });
    card.appendChild(view);
    var big = graphNodes.length > 400;
    main.replaceChildren(el('div', { class: 'page' }, [
      el('h1', { text: data.project || 'Project' }),
      el('p', { class: 'muted', text: 'Pick a node in the list, or search by name, column or path. Generated ' + shortTime(data.generated_at) + '.' }),
      el('div', { class: 'stats' }, cards),
      run.length ? el('p', { class: 'run-summary' }, ['Last run: '].concat(run)) : el('p', { class: 'muted', text: 'No run results yet: run ingot build, then generate the docs again.' }),
      card
    ]));
    var draw = function () { drawGraph(view, graphNodes, { focus: null, fit: true }); };
    if (big) {
      view.appendChild(el('div', { class: 'graph-placeholder' }, [
        el('p', { text: graphNodes.length + ' nodes: open a node to see its neighbourhood, or draw them all (zoom and pan with the mouse).' }),
        el('button', { class: 'btn', text: 'Draw the whole graph', onclick: draw })]));
    } else {
      draw();
    }
  }

  // ---- node page -----------------------------------------------------

  function renderNode(n) {
    var page = el('div', { class: 'page', 'data-node': n.id });
    var head = el('div', { class: 'node-head' }, [badge(n.type), el('h1', { class: 'node-title', text: n.name }), statusPill(n.status)]);
    page.appendChild(head);
    var facts = [];
    if (n.relation) facts.push(['relation', n.relation]);
    if (n.materialized) facts.push(['materialized', n.materialized]);
    if (n.warehouse_type) facts.push(['in the warehouse', n.warehouse_type.toLowerCase()]);
    if (n.path) facts.push(['file', n.path]);
    if (n.tags && n.tags.length) facts.push(['tags', n.tags.join(', ')]);
    page.appendChild(el('dl', { class: 'facts' }, facts.map(function (f) {
      return el('div', null, [el('dt', { text: f[0] }), el('dd', { text: f[1] })]);
    })));
    if (n.description) page.appendChild(el('div', { class: 'description' }, paragraphs(n.description)));
    else if (n.type !== 'test') page.appendChild(el('p', { class: 'muted', text: 'No description. Add one in the node\'s .yml file.' }));

    if (n.type === 'test') page.appendChild(testFacts(n));

    // lineage
    var lineageCard = el('section', { class: 'card', id: 'lineage' });
    var tools = el('div', { class: 'tools' });
    [1, 2, 3].forEach(function (d) {
      tools.appendChild(el('button', { class: 'btn small' + (!graphState.whole && graphState.depth === d ? ' on' : ''), 'data-depth': String(d), text: d + (d === 1 ? ' level' : ' levels'),
        onclick: function () { graphState.depth = d; graphState.whole = false; renderNode(n); } }));
    });
    tools.appendChild(el('button', { class: 'btn small' + (graphState.whole ? ' on' : ''), 'data-depth': 'all', text: 'whole graph',
      onclick: function () { graphState.whole = true; renderNode(n); } }));
    lineageCard.appendChild(el('div', { class: 'card-head' }, [el('h3', { text: 'Lineage' }), tools]));
    var view = el('div', { class: 'graph-view', id: 'node-graph' });
    lineageCard.appendChild(view);
    page.appendChild(lineageCard);

    // column lineage (filled when a column is picked)
    var colCard = el('section', { class: 'card', id: 'column-lineage', hidden: true });
    page.appendChild(colCard);

    if (n.columns.length) page.appendChild(columnsCard(n));
    if (n.tests.length) page.appendChild(testsCard(n));
    if (n.status) page.appendChild(runCard(n.status));
    var rel = relativesCard(n);
    if (rel) page.appendChild(rel);
    if (n.sql) page.appendChild(sqlCard(n));

    main.replaceChildren(page);
    main.scrollTop = 0;

    var shown = graphState.whole ? nodes.filter(function (m) { return inGraph(m) || m.id === n.id; }).map(function (m) { return m.id; })
      : neighbourhood(n.id, graphState.depth, graphState.cap);
    drawGraph(view, shown, { focus: n.id, fit: !graphState.whole, faint: graphState.whole, more: function () { graphState.cap *= 4; renderNode(n); } });
    if (current.column) showColumnLineage(n, current.column);
  }

  function paragraphs(text) {
    return text.split(/\n\s*\n/).map(function (p) {
      var out = el('p');
      p.split(/(`[^`]+`)/).forEach(function (part) {
        if (/^`[^`]+`$/.test(part)) out.appendChild(el('code', { text: part.slice(1, -1) }));
        else out.appendChild(document.createTextNode(part));
      });
      return out;
    });
  }

  function testFacts(n) {
    var on = (n.attached_to || []).map(function (id) { return link(id); });
    var items = [el('dt', { text: 'tests' }), el('dd', null, on.length ? on : ['—'])];
    if (n.column) items.push(el('dt', { text: 'column' }), el('dd', { text: n.column }));
    if (n.test_name) items.push(el('dt', { text: 'test' }), el('dd', { text: n.test_name }));
    return el('dl', { class: 'facts' }, [el('div', null, items.slice(0, 2))].concat(
      items.length > 2 ? [el('div', null, items.slice(2, 4))] : []).concat(items.length > 4 ? [el('div', null, items.slice(4))] : []));
  }

  function columnsCard(n) {
    var rows = n.columns.map(function (c) {
      var traced = (c.lineage && c.lineage.length) || c.lineage_note;
      var tests = (c.tests || []).map(function (t) {
        var tn = byId.get(t);
        var name = tn ? (tn.test_name || shortTestName(tn, n, c)) : t;
        return el('a', { class: 'test-chip' + (tn && tn.status ? ' s-' + tn.status.status : ''), href: nodeHash(t), title: t, text: name });
      });
      var type = c.type || '';
      var tr = el('tr', { 'data-column': c.name, class: current.column && current.column.toLowerCase() === c.name.toLowerCase() ? 'picked' : null }, [
        el('td', null, [el('button', { class: 'col-link', 'data-column': c.name, title: 'Show the lineage of ' + c.name, text: c.name,
          onclick: function () { location.hash = nodeHash(n.id, c.name); } }), traced ? el('span', { class: 'traced', title: 'column lineage recorded', text: '⇠' }) : null]),
        el('td', { class: 'mono', title: c.declared_type && c.declared_type !== type ? 'declared ' + c.declared_type : null, text: type }),
        el('td', { text: c.description || '' }),
        el('td', null, tests)
      ]);
      return tr;
    });
    return el('section', { class: 'card', id: 'columns' }, [
      el('div', { class: 'card-head' }, [el('h3', { text: 'Columns' }), el('span', { class: 'muted small', text: n.columns.length + ' · click a column for its lineage' })]),
      n.lineage_note ? el('p', { class: 'lineage-note', text: 'Column lineage: ' + n.lineage_note }) : null,
      el('table', { class: 'cols' }, [el('thead', null, el('tr', null, [el('th', { text: 'Column' }), el('th', { text: 'Type' }), el('th', { text: 'Description' }), el('th', { text: 'Tests' })])),
        el('tbody', null, rows)])
    ]);
  }

  // shortTestName drops the model and column from a generated test name
  // (not_null_orders_id → not_null).
  function shortTestName(t, n, c) {
    var s = t.name;
    var i = s.indexOf('_' + n.name);
    return i > 0 ? s.slice(0, i) : s;
  }

  function testsCard(n) {
    var rows = n.tests.map(function (id) {
      var t = byId.get(id);
      return el('tr', { 'data-test': id }, [el('td', null, link(id)), el('td', { text: t.column || '' }), el('td', null, statusPill(t.status))]);
    });
    return el('section', { class: 'card', id: 'tests' }, [el('h3', { text: 'Tests (' + n.tests.length + ')' }),
      el('table', { class: 'cols' }, [el('thead', null, el('tr', null, [el('th', { text: 'Test' }), el('th', { text: 'Column' }), el('th', { text: 'Last result' })])), el('tbody', null, rows)])]);
  }

  function runCard(st) {
    var items = [['status', st.status]];
    if (st.started_at) items.push(['started', shortTime(st.started_at)]);
    items.push(['took', st.seconds.toFixed(st.seconds < 10 ? 2 : 1) + ' s']);
    if (st.rows !== undefined && st.rows !== null) items.push(['rows', String(st.rows)]);
    if (st.failures !== undefined && st.failures !== null) items.push(['failures', String(st.failures)]);
    if (st.message) items.push(['message', st.message]);
    return el('section', { class: 'card', id: 'run' }, [el('h3', { text: 'Last run' }),
      el('dl', { class: 'facts' }, items.map(function (f) { return el('div', null, [el('dt', { text: f[0] }), el('dd', { text: f[1] })]); }))]);
  }

  function relativesCard(n) {
    var ps = n.parents.filter(function (p) { return byId.has(p); });
    var cs = children.get(n.id).filter(function (c) { return inGraph(byId.get(c)); });
    if (!ps.length && !cs.length) return null;
    var list = function (ids) {
      return ids.length ? el('ul', { class: 'plain' }, ids.map(function (id) { return el('li', null, [el('span', { class: 'dot t-' + byId.get(id).type }), link(id)]); }))
        : el('p', { class: 'muted', text: 'none' });
    };
    return el('section', { class: 'card two', id: 'relatives' }, [
      el('div', null, [el('h3', { text: 'Depends on' }), list(ps)]),
      el('div', null, [el('h3', { text: 'Referenced by' }), list(cs)])]);
  }

  function sqlCard(n) {
    var pre = el('pre', { class: 'sql' });
    pre.appendChild(highlightSQL(n.sql));
    var copy = el('button', { class: 'btn small', text: 'copy', onclick: function () {
      if (navigator.clipboard) navigator.clipboard.writeText(n.sql).then(function () { copy.textContent = 'copied'; }, function () {});
    } });
    return el('section', { class: 'card', id: 'sql' }, [el('div', { class: 'card-head' }, [
      el('h3', { text: n.sql_kind === 'source' ? 'Source (not compiled)' : n.sql_kind === 'run' ? 'SQL of the last run' : 'Compiled SQL' }), copy]), pre]);
  }

  var SQL_WORDS = new Set(('select from where group by order having limit offset join left right inner outer full cross on using as with union all ' +
    'distinct case when then else end and or not in is null like ilike between exists cast over partition window qualify insert into values ' +
    'create table view replace true false asc desc nulls first last interval filter lateral unnest pivot unpivot except intersect recursive').split(' '));
  function highlightSQL(sql) {
    var frag = document.createDocumentFragment();
    var re = /(--[^\n]*|\/\*[\s\S]*?\*\/)|('(?:[^']|'')*')|("(?:[^"]|"")*")|(\b\d+(?:\.\d+)?\b)|([A-Za-z_][A-Za-z0-9_]*)|([\s\S])/g;
    var m;
    var buf = '';
    var flush = function () { if (buf) { frag.appendChild(document.createTextNode(buf)); buf = ''; } };
    while ((m = re.exec(sql)) !== null) {
      var cls = m[1] ? 'c' : m[2] ? 's' : m[3] ? 'q' : m[4] ? 'n' : m[5] && SQL_WORDS.has(m[5].toLowerCase()) ? 'k' : null;
      if (!cls) { buf += m[0]; continue; }
      flush();
      frag.appendChild(el('span', { class: 'h-' + cls, text: m[0] }));
    }
    flush();
    return frag;
  }

  // ---- neighbourhood ---------------------------------------------------

  // neighbourhood returns the ids within depth levels up and down of id,
  // with at most cap per level and side; what is left out of a level is
  // counted in a "more" pseudo-node ("more:up:2" or "more:down:1").
  function neighbourhood(id, depth, cap) {
    var out = [id];
    var seen = new Set([id]);
    var more = [];
    [['up', function (x) { return byId.get(x).parents; }], ['down', function (x) { return children.get(x); }]].forEach(function (side) {
      var frontier = [id];
      var via = new Map(); // node → the shown node it was reached from
      for (var d = 1; d <= depth && frontier.length; d++) {
        var next = [];
        frontier.forEach(function (x) {
          side[1](x).forEach(function (y) {
            var yn = byId.get(y);
            if (!yn || !inGraph(yn) || seen.has(y)) return;
            seen.add(y);
            via.set(y, x);
            next.push(y);
          });
        });
        next.sort(function (a, b) { return label(a).localeCompare(label(b)); });
        if (next.length > cap) {
          more.push({ id: 'more:' + side[0] + ':' + d, count: next.length - cap, side: side[0], level: d, anchor: via.get(next[cap]) });
          next = next.slice(0, cap);
        }
        out.push.apply(out, next);
        frontier = next;
      }
    });
    out.more = more;
    return out;
  }

  // ---- graph drawing -------------------------------------------------

  var NODE_W = 190, NODE_H = 40, GAP_X = 90, GAP_Y = 14, DUMMY_H = 4, DUMMY_GAP = 6;

  // drawGraph lays out and draws the nodes ids (and the edges among them)
  // into view. opts.focus marks one node; opts.fit scales the drawing into
  // the view; opts.more is called by a "+N more" box.
  function drawGraph(view, ids, opts) {
    var t0 = performance.now();
    var set = new Set(ids);
    var gnodes = ids.map(function (id) { return { id: id, h: NODE_H }; });
    var edges = [];
    ids.forEach(function (id) {
      byId.get(id).parents.forEach(function (p) { if (set.has(p)) edges.push([p, id]); });
    });
    (ids.more || []).forEach(function (m) {
      gnodes.push({ id: m.id, h: NODE_H, more: m });
      // A fold box hangs off the shown node its first hidden one is
      // linked to, so it lands in that node's next layer.
      edges.push(m.side === 'up' ? [m.id, m.anchor] : [m.anchor, m.id]);
    });
    var L = layout(gnodes, edges);
    var svgEl = svg('svg', { class: 'graph', width: '100%', height: '100%' });
    var defs = svg('defs', null, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' },
      svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow' })));
    svgEl.appendChild(defs);
    var vp = svg('g', { class: 'viewport' });
    svgEl.appendChild(vp);
    var edgeLayer = svg('g', { class: 'edges' });
    vp.appendChild(edgeLayer);
    L.edges.forEach(function (e) {
      var near = opts.focus && (e.from === opts.focus || e.to === opts.focus);
      edgeLayer.appendChild(svg('path', { class: 'gedge' + (near ? ' near' : opts.faint ? ' faint' : ''),
        d: edgePath(e.points), 'data-from': e.from, 'data-to': e.to, 'marker-end': 'url(#arrow)' }));
    });
    var nodeLayer = svg('g', { class: 'nodes' });
    vp.appendChild(nodeLayer);
    gnodes.forEach(function (g) {
      var p = L.pos.get(g.id);
      if (g.more) {
        var mg = svg('g', { class: 'gnode more', 'data-more': g.id, transform: 'translate(' + p.x + ',' + p.y + ')' }, [
          svg('rect', { width: NODE_W, height: NODE_H, rx: 8 }),
          svg('text', { x: NODE_W / 2, y: NODE_H / 2 + 4, 'text-anchor': 'middle', text: '+' + g.more.count + ' more' })]);
        if (opts.more) mg.addEventListener('click', opts.more);
        nodeLayer.appendChild(mg);
        return;
      }
      var n = byId.get(g.id);
      var sub = n.type + (n.materialized && n.type === 'model' ? ' · ' + n.materialized : '') + (n.relation ? ' · ' + n.relation.split('.').slice(-2, -1)[0] : '');
      var ng = svg('g', { class: 'gnode t-' + n.type + (g.id === opts.focus ? ' focus' : '') + (n.status && /error|fail/.test(n.status.status) ? ' failed' : ''),
        'data-id': g.id, transform: 'translate(' + p.x + ',' + p.y + ')' }, [
        svg('title', { text: n.id }),
        svg('rect', { width: NODE_W, height: NODE_H, rx: 8 }),
        svg('rect', { class: 'stripe', width: 5, height: NODE_H, rx: 2 }),
        svg('text', { class: 'name', x: 14, y: 17, text: clip(n.name, 24) }),
        svg('text', { class: 'sub', x: 14, y: 32, text: clip(sub, 30) })]);
      ng.addEventListener('click', function () { if (!ng._dragged) location.hash = nodeHash(g.id); });
      nodeLayer.appendChild(ng);
    });
    view.replaceChildren(svgEl, zoomTools());
    sizeView(view, L.width, L.height, 560);
    var pz = panZoom(svgEl, vp, L.width, L.height);
    view._pz = pz;
    var focusPos = opts.focus && L.pos.get(opts.focus);
    // Fitting a tall neighbourhood would shrink its labels past reading:
    // below half size, show the focus at half size and let people pan.
    if (opts.fit && (pz.fit() >= 0.5 || !focusPos)) return done();
    if (focusPos) pz.center(focusPos, opts.fit ? 0.5 : 0.9);
    else pz.fit();
    done();

    function done() {
      view.setAttribute('data-nodes', String(gnodes.length));
      view.setAttribute('data-layout-ms', String(Math.round(performance.now() - t0)));
    }

    function zoomTools() {
      var z = function (f) { return function () { view._pz.zoom(f); }; };
      return el('div', { class: 'zoom' }, [
        el('button', { class: 'btn small', title: 'zoom in', text: '+', onclick: z(1.25) }),
        el('button', { class: 'btn small', title: 'zoom out', text: '−', onclick: z(0.8) }),
        el('button', { class: 'btn small', title: 'fit', text: 'fit', onclick: function () { view._pz.fit(); } })]);
    }
  }

  // sizeView gives a drawing that fits the width the height it needs
  // once scaled, within bounds, so a small graph leaves no empty band.
  function sizeView(view, w, h, max) {
    var k = Math.min(1, ((view.clientWidth || 800) - 20) / w);
    view.style.height = Math.round(Math.max(170, Math.min(max, h * k + 60))) + 'px';
  }

  function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + '…' : s; }

  function edgePath(pts) {
    var d = 'M' + pts[0][0] + ',' + pts[0][1];
    for (var i = 1; i < pts.length; i++) {
      var a = pts[i - 1], b = pts[i];
      if (a[1] === b[1]) { d += ' L' + b[0] + ',' + b[1]; continue; }
      var mx = (a[0] + b[0]) / 2;
      d += ' C' + mx + ',' + a[1] + ' ' + mx + ',' + b[1] + ' ' + b[0] + ',' + b[1];
    }
    return d;
  }

  // layout is a small Sugiyama: layers by longest path (sources pulled
  // next to their first consumer), dummy nodes on long edges, crossing
  // reduction by barycenter sweeps keeping the best order seen, then
  // vertical positions pulled toward neighbours without overlaps.
  function layout(gnodes, edges) {
    var ids = gnodes.map(function (g) { return g.id; });
    var info = new Map();
    gnodes.forEach(function (g) { info.set(g.id, { id: g.id, h: g.h, preds: [], succs: [], layer: 0, dummy: false }); });
    edges.forEach(function (e) { info.get(e[0]).succs.push(e[1]); info.get(e[1]).preds.push(e[0]); });
    // Kahn order for longest-path layering.
    var indeg = new Map(ids.map(function (id) { return [id, info.get(id).preds.length]; }));
    var queue = ids.filter(function (id) { return indeg.get(id) === 0; });
    var order = [];
    while (queue.length) {
      var id = queue.shift();
      order.push(id);
      info.get(id).succs.forEach(function (s) {
        var v = info.get(s);
        v.layer = Math.max(v.layer, info.get(id).layer + 1);
        indeg.set(s, indeg.get(s) - 1);
        if (indeg.get(s) === 0) queue.push(s);
      });
    }
    if (order.length < ids.length) { // a cycle should not be: draw what is left in one more layer
      var maxL = 0;
      info.forEach(function (v) { maxL = Math.max(maxL, v.layer); });
      ids.forEach(function (id) { if (order.indexOf(id) < 0) { info.get(id).layer = maxL + 1; order.push(id); } });
    }
    // Pull every node without parents right, next to its nearest child.
    for (var i = order.length - 1; i >= 0; i--) {
      var v = info.get(order[i]);
      if (v.preds.length || !v.succs.length) continue;
      v.layer = Math.min.apply(null, v.succs.map(function (s) { return info.get(s).layer; })) - 1;
    }
    var minL = Infinity;
    info.forEach(function (v) { minL = Math.min(minL, v.layer); });
    info.forEach(function (v) { v.layer -= minL; });

    // Dummies split edges that span more than one layer.
    var chains = [];
    var dn = 0;
    edges.forEach(function (e) {
      var a = info.get(e[0]), b = info.get(e[1]);
      var chain = [e[0]];
      var prev = a;
      for (var l = a.layer + 1; l < b.layer; l++) {
        var d = { id: '\u0000d' + (dn++), h: DUMMY_H, preds: [prev.id], succs: [], layer: l, dummy: true };
        prev.succs.push(d.id);
        info.set(d.id, d);
        chain.push(d.id);
        prev = d;
      }
      if (prev !== a) {
        a.succs.splice(a.succs.indexOf(b.id), 1);
        b.preds.splice(b.preds.indexOf(a.id), 1);
        prev.succs.push(b.id);
        b.preds.push(prev.id);
      }
      chain.push(e[1]);
      chains.push({ from: e[0], to: e[1], chain: chain });
    });

    var layers = [];
    // Initial order: depth-first from the roots, so related nodes start close.
    var visited = new Set();
    var dfs = function (id) {
      if (visited.has(id)) return;
      visited.add(id);
      var v = info.get(id);
      (layers[v.layer] = layers[v.layer] || []).push(id);
      v.succs.slice().sort(byLabel).forEach(dfs);
    };
    var roots = [];
    info.forEach(function (v) { if (!v.preds.length) roots.push(v.id); });
    roots.sort(byLabel).forEach(dfs);
    info.forEach(function (v) { dfs(v.id); });
    for (var li = 0; li < layers.length; li++) layers[li] = layers[li] || [];

    var posIndex = function () { layers.forEach(function (ly) { ly.forEach(function (id, k) { info.get(id).pos = k; }); }); };
    posIndex();
    var best = layers.map(function (ly) { return ly.slice(); });
    var bestX = crossings();
    for (var it = 0; it < 12 && bestX > 0; it++) {
      var down = it % 2 === 0;
      for (var k = down ? 1 : layers.length - 2; down ? k < layers.length : k >= 0; k += down ? 1 : -1) {
        var ly = layers[k];
        var bc = new Map();
        ly.forEach(function (id) {
          var v = info.get(id);
          var nb = down ? v.preds : v.succs;
          bc.set(id, nb.length ? nb.reduce(function (s, x) { return s + info.get(x).pos; }, 0) / nb.length : v.pos);
        });
        ly.sort(function (a, b) { return bc.get(a) - bc.get(b) || info.get(a).pos - info.get(b).pos; });
        ly.forEach(function (id, p) { info.get(id).pos = p; });
      }
      var x = crossings();
      if (x < bestX) { bestX = x; best = layers.map(function (l) { return l.slice(); }); }
    }
    layers = best;
    posIndex();

    // Vertical positions: start stacked, then pull toward the neighbours'
    // mean, alternating directions, keeping order and spacing.
    var sep = function (a, b) { return (info.get(a).h + info.get(b).h) / 2 + (info.get(a).dummy && info.get(b).dummy ? DUMMY_GAP : GAP_Y); };
    layers.forEach(function (ly) {
      var y = 0;
      ly.forEach(function (id, k) { if (k) y += sep(ly[k - 1], id); info.get(id).y = y; });
    });
    var tallest = 0;
    layers.forEach(function (ly) { if (ly.length) tallest = Math.max(tallest, info.get(ly[ly.length - 1]).y); });
    layers.forEach(function (ly) {
      if (!ly.length) return;
      var off = (tallest - info.get(ly[ly.length - 1]).y) / 2;
      ly.forEach(function (id) { info.get(id).y += off; });
    });
    for (var pass = 0; pass < 8; pass++) {
      var dn2 = pass % 2 === 0;
      for (var k2 = dn2 ? 1 : layers.length - 2; dn2 ? k2 < layers.length : k2 >= 0; k2 += dn2 ? 1 : -1) place(layers[k2], dn2);
    }
    function place(ly, down) {
      if (!ly.length) return;
      var want = ly.map(function (id) {
        var v = info.get(id);
        var nb = down ? v.preds : v.succs;
        return nb.length ? nb.reduce(function (s, x) { return s + info.get(x).y; }, 0) / nb.length : v.y;
      });
      var f = want.slice(), b = want.slice();
      for (var i = 1; i < ly.length; i++) f[i] = Math.max(want[i], f[i - 1] + sep(ly[i - 1], ly[i]));
      for (var j = ly.length - 2; j >= 0; j--) b[j] = Math.min(want[j], b[j + 1] - sep(ly[j], ly[j + 1]));
      var y = -Infinity;
      ly.forEach(function (id, i) {
        var target = (f[i] + b[i]) / 2;
        if (i) target = Math.max(target, y + sep(ly[i - 1], id));
        info.get(id).y = y = target;
      });
    }
    var minY = Infinity, maxY = -Infinity;
    info.forEach(function (v) { minY = Math.min(minY, v.y - v.h / 2); maxY = Math.max(maxY, v.y + v.h / 2); });
    var pad = 20;
    var pos = new Map();
    info.forEach(function (v) {
      v.x = pad + v.layer * (NODE_W + GAP_X);
      v.y = v.y - minY + pad;
      if (!v.dummy) pos.set(v.id, { x: v.x, y: v.y - v.h / 2, layer: v.layer });
    });
    var outEdges = chains.map(function (c) {
      var pts = [];
      c.chain.forEach(function (id, k) {
        var v = info.get(id);
        if (k === 0) pts.push([v.x + NODE_W, v.y]);
        else if (k === c.chain.length - 1) pts.push([v.x - 2, v.y]);
        else { pts.push([v.x, v.y]); pts.push([v.x + NODE_W, v.y]); }
      });
      return { from: c.from, to: c.to, points: pts };
    });
    return { pos: pos, edges: outEdges, width: pad * 2 + layers.length * (NODE_W + GAP_X) - GAP_X, height: maxY - minY + pad * 2, crossings: bestX };

    function byLabel(a, b) {
      var x = info.get(a), y = info.get(b);
      if (x.dummy || y.dummy) return 0;
      var la = byId.has(a) ? byId.get(a).name : a, lb = byId.has(b) ? byId.get(b).name : b;
      return la < lb ? -1 : la > lb ? 1 : 0;
    }
    // crossings counts edge crossings between adjacent layers, by
    // counting inversions with a Fenwick tree (Barth, Jünger, Mutzel).
    function crossings() {
      var total = 0;
      for (var l = 0; l + 1 < layers.length; l++) {
        var pairs = [];
        layers[l].forEach(function (id) {
          var v = info.get(id);
          v.succs.forEach(function (s) { pairs.push([v.pos, info.get(s).pos]); });
        });
        pairs.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
        var n = layers[l + 1].length;
        var tree = new Array(n + 1).fill(0);
        for (var i = 0; i < pairs.length; i++) {
          var q = pairs[i][1] + 1, greater = 0;
          // count earlier edges ending below this one
          for (var j = n; j > 0; j -= j & -j) greater += tree[j];
          for (var j2 = q; j2 > 0; j2 -= j2 & -j2) greater -= tree[j2];
          total += greater;
          for (var j3 = q; j3 <= n; j3 += j3 & -j3) tree[j3]++;
        }
      }
      return total;
    }
  }

  // panZoom makes the drawing draggable and wheel-zoomable.
  function panZoom(svgEl, vp, w, h) {
    var s = 1, tx = 0, ty = 0;
    var apply = function () { vp.setAttribute('transform', 'translate(' + tx + ',' + ty + ') scale(' + s + ')'); svgEl.setAttribute('data-scale', s.toFixed(3)); };
    var box = function () { return svgEl.getBoundingClientRect(); };
    var api = {
      fit: function () {
        var b = box();
        var k = Math.min(1, (b.width - 20) / w, (b.height - 20) / h);
        if (!(k > 0)) k = 1;
        s = Math.max(k, 0.05);
        tx = (b.width - w * s) / 2;
        ty = (b.height - h * s) / 2;
        apply();
        return s;
      },
      center: function (p, k) {
        var b = box();
        s = k;
        tx = b.width / 2 - (p.x + NODE_W / 2) * s;
        ty = b.height / 2 - (p.y + NODE_H / 2) * s;
        apply();
      },
      zoom: function (f, cx, cy) {
        var b = box();
        if (cx === undefined) { cx = b.width / 2; cy = b.height / 2; }
        var ns = Math.min(4, Math.max(0.05, s * f));
        tx = cx - (cx - tx) * ns / s;
        ty = cy - (cy - ty) * ns / s;
        s = ns;
        apply();
      }
    };
    svgEl.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var b = box();
      api.zoom(ev.deltaY < 0 ? 1.15 : 1 / 1.15, ev.clientX - b.left, ev.clientY - b.top);
    }, { passive: false });
    var drag = null;
    svgEl.addEventListener('pointerdown', function (ev) {
      if (ev.button !== 0) return;
      drag = { x: ev.clientX, y: ev.clientY, tx: tx, ty: ty, moved: false, target: ev.target.closest('.gnode') };
    });
    window.addEventListener('pointermove', function (ev) {
      if (!drag) return;
      var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      drag.moved = true;
      svgEl.classList.add('dragging');
      tx = drag.tx + dx;
      ty = drag.ty + dy;
      apply();
    });
    window.addEventListener('pointerup', function () {
      if (!drag) return;
      // A drag that ends on a node must not open it.
      if (drag.target) { drag.target._dragged = drag.moved; setTimeout(function (t) { t._dragged = false; }, 0, drag.target); }
      svgEl.classList.remove('dragging');
      drag = null;
    });
    apply();
    return api;
  }

  // ---- column lineage --------------------------------------------------

  function findColumn(n, name) {
    var low = name.toLowerCase();
    for (var i = 0; i < n.columns.length; i++) if (n.columns[i].name.toLowerCase() === low) return n.columns[i];
    return null;
  }

  // showColumnLineage draws where column col of n comes from (its parent
  // columns, transitively) and where it goes (columns built from it).
  function showColumnLineage(n, col) {
    var card = document.getElementById('column-lineage');
    var c = findColumn(n, col);
    card.hidden = false;
    var title = el('div', { class: 'card-head' }, [el('h3', null, ['Column lineage of ', el('code', { text: n.name + '.' + col })]),
      el('a', { class: 'btn small', href: nodeHash(n.id), text: 'close' })]);
    if (!c) {
      card.replaceChildren(title, el('p', { class: 'muted', text: n.name + ' has no column ' + col + '.' }));
      return;
    }
    var start = { node: n.id, column: c.name };
    var items = new Map(); // key → {node, column, note}
    var edges = [];
    var notes = [];
    var keyOf = function (r) { return colKey(r.node, r.column); };
    items.set(keyOf(start), start);
    // upstream
    var queue = [start];
    while (queue.length && items.size < COLUMN_GRAPH_CAP) {
      var r = queue.shift();
      var rn = byId.get(r.node);
      var rc = rn ? findColumn(rn, r.column) : null;
      if (rc && rc.lineage_note) notes.push({ ref: r, note: rc.lineage_note });
      ((rc && rc.lineage) || []).forEach(function (p) {
        var k = keyOf(p);
        edges.push([k, keyOf(r)]);
        if (!items.has(k)) { items.set(k, { node: p.node, column: p.column }); queue.push(p); }
      });
    }
    // downstream
    queue = [start];
    while (queue.length && items.size < COLUMN_GRAPH_CAP) {
      var d = queue.shift();
      (colDown.get(keyOf(d)) || []).forEach(function (ch) {
        var k = keyOf(ch);
        edges.push([keyOf(d), k]);
        if (!items.has(k)) { items.set(k, ch); queue.push(ch); }
      });
    }
    var seenEdge = new Set();
    edges = edges.filter(function (e) { var k = e[0] + '>' + e[1]; if (seenEdge.has(k)) return false; seenEdge.add(k); return true; });
    var body = [title];
    if (items.size === 1 && !notes.length) {
      body.push(el('p', { class: 'muted', text: n.type === 'seed' || n.type === 'source'
        ? c.name + ' is read from the ' + n.type + '\'s data: it has no parent columns.'
        : n.lineage_note ? 'No column lineage for ' + c.name + ': ' + n.lineage_note
        : 'No column lineage recorded for ' + c.name + '. ingot docs generate traces it; generate the docs again after a build.' }));
    }
    var view = el('div', { class: 'graph-view short', id: 'column-graph' });
    body.push(view);
    if (notes.length) {
      body.push(el('ul', { class: 'notes' }, notes.map(function (x) {
        return el('li', null, [el('code', { text: label(x.ref.node) + '.' + x.ref.column }), ': ', x.note]);
      })));
    }
    card.replaceChildren.apply(card, body);
    drawColumnGraph(view, items, edges, keyOf(start));
    var row = document.querySelector('#columns tr[data-column="' + cssEscape(c.name) + '"]');
    if (row) row.classList.add('picked');
    card.scrollIntoView({ block: 'nearest' });
  }

  function drawColumnGraph(view, items, edges, focus) {
    var gnodes = [];
    items.forEach(function (v, k) { gnodes.push({ id: k, h: NODE_H }); });
    var L = layout(gnodes, edges);
    var svgEl = svg('svg', { class: 'graph', width: '100%', height: '100%' });
    svgEl.appendChild(svg('defs', null, svg('marker', { id: 'carrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' },
      svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow' }))));
    var vp = svg('g', { class: 'viewport' });
    svgEl.appendChild(vp);
    var name = function (k) { var r = items.get(k); return r.node + '|' + r.column; };
    L.edges.forEach(function (e) {
      vp.appendChild(svg('path', { class: 'gedge' + (e.from === focus || e.to === focus ? ' near' : ''), d: edgePath(e.points),
        'data-from': name(e.from), 'data-to': name(e.to), 'marker-end': 'url(#carrow)' }));
    });
    items.forEach(function (ref, k) {
      var p = L.pos.get(k);
      var n = byId.get(ref.node);
      var type = n ? n.type : 'unknown';
      var g = svg('g', { class: 'gnode col t-' + type + (k === focus ? ' focus' : ''), 'data-node': ref.node, 'data-column': ref.column,
        transform: 'translate(' + p.x + ',' + p.y + ')' }, [
        svg('title', { text: ref.node + ' · ' + ref.column }),
        svg('rect', { width: NODE_W, height: NODE_H, rx: 8 }),
        svg('rect', { class: 'stripe', width: 5, height: NODE_H, rx: 2 }),
        svg('text', { class: 'name', x: 14, y: 17, text: clip(ref.column, 24) }),
        svg('text', { class: 'sub', x: 14, y: 32, text: clip(n ? n.type + ' · ' + (n.relation || n.name) : ref.node, 32) })]);
      g.addEventListener('click', function () { if (!g._dragged && n) location.hash = nodeHash(ref.node, ref.column); });
      vp.appendChild(g);
    });
    view.replaceChildren(svgEl);
    sizeView(view, L.width, L.height, 360);
    var pz = panZoom(svgEl, vp, L.width, L.height);
    pz.fit();
    view.setAttribute('data-nodes', String(gnodes.length));
  }

  // ---- start ---------------------------------------------------------

  renderList();
  route();
  document.body.setAttribute('data-ready', 'true');
})();
