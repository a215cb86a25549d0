"""Three small browser-side pieces of the page, as Vue templates (ipyvuetify ``VuetifyTemplate``).

- ``MapImage``: the map picture, and under it the value of the cell under the mouse. The labels
  are formatted on the server (``figures.hover_labels``) and sent with the picture, so hovering
  asks nothing of the server.
- ``Probe``: reports how wide its panel is (so the charts fit it), or which month the browser
  has drawn (placed after the month in the top bar: playing never runs ahead of the screen,
  and pause stops at the month the room sees).
- ``FileLoader``: a button that opens the file chooser and sends the chosen YAML file's text.

The templates live here as text, not in ``.vue`` files, so that they travel with the Python
package wherever it is installed.
"""

from __future__ import annotations

import ipyvuetify as v
import traitlets

MAP_TEMPLATE = """
<template>
  <div class="ocsim-map-view">
    <img :src="src" class="ocsim-map-image" ref="image" draggable="false"
         @mousemove="move" @mouseleave="leave" />
    <div class="ocsim-hover">{{ text }}</div>
  </div>
</template>
<script>
module.exports = {
  data() { return { at: null }; },
  computed: {
    names() { return JSON.parse(this.labels || '[]'); },
    cells() { return (this.index || '').split(',').map(Number); },
    text() {
      if (!this.at) { return this.hint; }
      const [col, row] = this.at;
      const label = this.names[this.cells[row * this.columns + col]];
      return `x ${col}, y ${this.rows - 1 - row}: ${label}`;
    },
  },
  methods: {
    move(event) {
      const image = this.$refs.image;
      if (!image || !image.naturalWidth) { return; }
      const box = image.getBoundingClientRect();
      const cell = this.cell * box.width / image.naturalWidth;
      const col = Math.floor((event.clientX - box.left) / cell);
      const row = Math.floor((event.clientY - box.top) / cell);
      this.at = (col >= 0 && row >= 0 && col < this.columns && row < this.rows) ? [col, row] : null;
    },
    leave() { this.at = null; },
  },
};
</script>
"""

PROBE_TEMPLATE = """
<template>
  <div class="ocsim-probe" style="width: 100%; height: 0; overflow: hidden"></div>
</template>
<script>
module.exports = {
  mounted() {
    const measure = () => {
      const width = Math.floor(this.$el.getBoundingClientRect().width);
      if (width > 0 && Math.abs(width - this.width) >= 8) { this.width = width; }
    };
    this.observer = new ResizeObserver(measure);
    this.observer.observe(this.$el);
    measure();
    this.acknowledge(this.month);
  },
  destroyed() { if (this.observer) { this.observer.disconnect(); } },
  watch: { month(value) { this.acknowledge(value); } },
  methods: {
    acknowledge(value) {
      // after Vue has updated the page, and the browser has painted it (or, in a hidden tab
      // that paints nothing, a moment later)
      this.$nextTick(() => {
        let sent = false;
        const send = () => { if (!sent) { sent = true; this.drawn = value; } };
        requestAnimationFrame(() => setTimeout(send, 0));
        setTimeout(send, 500);
      });
    },
  },
};
</script>
"""

LOADER_TEMPLATE = """
<template>
  <span class="ocsim-loader">
    <input type="file" ref="input" accept=".yaml,.yml,text/yaml" style="display: none"
           class="ocsim-load-input" @change="read" />
    <v-btn small outlined color="primary" @click="$refs.input.click()">
      <v-icon left small>mdi-folder-open-outline</v-icon>{{ label }}
    </v-btn>
  </span>
</template>
<script>
module.exports = {
  methods: {
    read(event) {
      const file = event.target.files[0];
      if (!file) { return; }
      if (file.size > this.max_bytes) {
        this.upload = { name: file.name, text: '', error: `${file.size} bytes; at most ${this.max_bytes}` };
        event.target.value = '';
        return;
      }
      const reader = new FileReader();
      reader.onload = () => {
        this.upload = { name: file.name, text: reader.result, error: '', at: Date.now() };
        event.target.value = '';
      };
      reader.readAsText(file);
    },
  },
};
</script>
"""


class MapImage(v.VuetifyTemplate):
    template = traitlets.Unicode(MAP_TEMPLATE).tag(sync=True)
    src = traitlets.Unicode("").tag(sync=True)
    """The picture as a data URL."""
    cell = traitlets.Int(9).tag(sync=True)
    """Pixels per cell in the picture."""
    columns = traitlets.Int(0).tag(sync=True)
    rows = traitlets.Int(0).tag(sync=True)
    labels = traitlets.Unicode("[]").tag(sync=True)
    """The distinct labels, as a JSON list."""
    index = traitlets.Unicode("").tag(sync=True)
    """Each cell's label (an index into ``labels``), row by row from the north, comma-separated:
    one string rather than a list, which the page's renderer would walk value by value."""
    hint = traitlets.Unicode("").tag(sync=True)


class Probe(v.VuetifyTemplate):
    template = traitlets.Unicode(PROBE_TEMPLATE).tag(sync=True)
    month = traitlets.Int(0).tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    """Set by the browser: the panel's width in pixels."""
    drawn = traitlets.Int(-1).tag(sync=True)
    """Set by the browser: the last month it has drawn."""


class FileLoader(v.VuetifyTemplate):
    template = traitlets.Unicode(LOADER_TEMPLATE).tag(sync=True)
    label = traitlets.Unicode("Load").tag(sync=True)
    max_bytes = traitlets.Int(256_000).tag(sync=True)
    upload = traitlets.Dict(default_value={}).tag(sync=True)
    """Set by the browser: ``{name, text, error}`` of the chosen file."""
