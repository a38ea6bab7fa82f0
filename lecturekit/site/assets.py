"""The site's own files: the page template (over nbconvert's ``lab`` template), CSS and JavaScript.

Kept as strings so that an installed lecturekit needs no package data. Nothing here loads from
the network: MathJax 3 is served from the site (``_static/mathjax``) and configured for the
delimiters Jupyter uses; require.js, the widget manager and mermaid are left out.
"""

TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
<script>
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
        processEscapes: true, processEnvironments: true, tags: 'ams'},
  options: {ignoreHtmlClass: 'tex2jax_ignore|lk-static', processHtmlClass: 'tex2jax_process'},
  chtml: {displayAlign: 'center'}
};
</script>
<script defer src="_static/mathjax/tex-chtml-full.js"></script>
{%- endblock html_head_js_mathjax -%}
{% block extra_css %}<link rel="stylesheet" href="_static/site.css">{% endblock extra_css %}
{%- block body_header -%}
{{ super() }}
{{ resources.lk_nav }}
{%- endblock body_header -%}
{% block body_footer %}
{{ resources.lk_footer }}
{{ super() }}
{% endblock body_footer %}
{% block footer_js %}<script src="_static/site.js"></script>{% endblock footer_js %}
"""

CSS = """
.lk-nav { position: sticky; top: 0; z-index: 10; background: #f7f7f7; border-bottom: 1px solid #ddd;
  padding: 6px 12px; font: 14px/1.4 system-ui, sans-serif; display: flex; flex-wrap: wrap; gap: 4px 14px; }
.lk-nav a { color: #1a5fb4; text-decoration: none; white-space: nowrap; }
.lk-nav a[aria-current="page"] { font-weight: 600; color: #000; }
.lk-nav .lk-home { font-weight: 600; margin-right: 8px; }
.lk-pager { display: flex; justify-content: space-between; margin: 2em 1em; font: 15px system-ui, sans-serif; }
.lk-static { display: flex; gap: 16px; align-items: flex-start; flex-wrap: wrap; margin: 8px 0; }
.lk-static .lk-controls { width: 300px; display: flex; flex-direction: column; gap: 8px;
  font: 13px system-ui, sans-serif; }
.lk-static label { display: grid; grid-template-columns: 90px 1fr 48px; align-items: center; gap: 6px; }
.lk-static input[type=range] { width: 100%; }
.lk-static output { font-variant-numeric: tabular-nums; }
.lk-static select + output { visibility: hidden; }
.lk-static .lk-note { color: #666; font-size: 12px; }
.lk-static.lk-missing img { opacity: 0.4; }
.lk-static img { max-width: 100%; height: auto; }
body.lk-index main { max-width: 860px; margin: 2em auto; font: 16px/1.5 system-ui, sans-serif; }
"""

JS = r"""// lecturekit site: switch a widget's pre-rendered frames when a control moves (no kernel).
(function () {
  'use strict';
  function setup(root) {
    var data = JSON.parse(root.querySelector('script.lk-data').textContent);
    var img = root.querySelector('img.lk-image');
    var readout = root.querySelector('.lk-readout');
    var inputs = Array.prototype.slice.call(root.querySelectorAll('[data-control]'));
    var defaults = data.controls.map(function (c) { return c.default; });
    var pos = defaults.slice();
    function read(input) {
      return input.type === 'checkbox' ? (input.checked ? 1 : 0) : parseInt(input.value, 10);
    }
    function write(j, i, label) {
      var input = inputs[j];
      if (i >= 0) {
        if (input.type === 'checkbox') { input.checked = i === 1; } else { input.value = String(i); }
        pos[j] = i;
      }
      var out = root.querySelector('[data-readout="' + j + '"]');
      if (out) { out.textContent = label; }
    }
    function show(key) {
      var f = data.frames[key];
      if (!f) { root.classList.add('lk-missing'); return; }
      root.classList.remove('lk-missing');
      img.src = data.base + f.sha256.slice(0, 20) + '.png';
      img.setAttribute('data-sha256', f.sha256);
      readout.innerHTML = f.readout;
      f.state.forEach(function (i, j) { write(j, i, f.labels[j]); });
    }
    inputs.forEach(function (input, j) {
      input.addEventListener(input.type === 'range' ? 'input' : 'change', function () {
        // every combination was drawn ("product"), or one control at a time from the defaults ("axes")
        var next = data.mode === 'product' ? pos.slice() : defaults.slice();
        next[j] = read(input);
        show(next.join(','));
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('.lk-static'), setup);
})();
"""
