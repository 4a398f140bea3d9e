"""A Plotly figure drawn in the browser: `Plot`, an anywidget that sends the figure as JSON and
draws it with plotly.js (Plotly.react), and `plot_json`, what it sends.

plotly.js is the copy inside the installed plotly package, served by the app's own server
(Solara serves /static/assets/ from the package's data, added below) and loaded once per page:
nothing comes from a CDN. Not plotly's FigureWidget (solara.FigurePlotly): it sends its whole
5 MB bundle with every chart, which the browser evaluates once per chart (six charts took four
times as long to show), and it draws a chart before the page shows it, at plotly's default
width of 700 px (plotly.py issue 5370); here a chart fits its container whenever that resizes.
"""

from __future__ import annotations

import hashlib

import anywidget
import plotly.graph_objects as go
import plotly.io
import solara.server.settings
import traitlets

# plotly's data folder (plotly.min.js, beside its templates and sample data sets, all public),
# served by Solara at /static/assets/ after the app's own assets and before Solara's
PLOTLY_JS = "plotly.package_data"
if PLOTLY_JS not in solara.server.settings.assets.extra_locations:
    solara.server.settings.assets.extra_locations.append(PLOTLY_JS)

# no plotly logo (a link out of the page), no selection tools (nothing to select)
CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}

ESM = """
function plotly() {  // a script that sets window.Plotly, loaded once per page
  window.plotlyLoaded ??= new Promise((done, failed) => {
    const src = `${window.solara?.rootPath ?? ""}/static/assets/plotly.min.js`;
    const onload = () => done(window.Plotly);
    const script = Object.assign(document.createElement("script"), { src, onload });
    script.onerror = failed;
    document.head.append(script);
  });
  return window.plotlyLoaded;
}

export default {
  async render({ model, el }) {
    const Plotly = await plotly();
    const draw = async () => {
      const figure = JSON.parse(model.get("figure"));
      await Plotly.react(el, figure.data, figure.layout, model.get("config"));
      el.dataset.revision = model.get("revision");  // which figure is drawn (for the tests)
    };
    model.on("change:figure", draw);
    await draw();
    const fit = new ResizeObserver(() => el.offsetWidth && Plotly.Plots.resize(el));
    fit.observe(el);  // drawn before it is on the page: fit it once shown, and on every resize
    return () => {
      fit.disconnect();
      Plotly.purge(el);
    };
  },
};
"""


class Plot(anywidget.AnyWidget):
    """A Plotly figure (`figure`: its JSON, `plot_json`) drawn by plotly.js in the browser;
    `revision` names the figure, and the drawn chart carries it as data-revision."""

    _esm = ESM
    figure = traitlets.Unicode("{}").tag(sync=True)
    revision = traitlets.Unicode("").tag(sync=True)
    config = traitlets.Dict(CONFIG).tag(sync=True)


def plot_json(fig: go.Figure) -> tuple[str, str]:
    """The figure as JSON (numeric arrays base64-encoded, as plotly.js reads them) and a short
    digest of it, its revision."""
    text = plotly.io.to_json(fig, validate=False)
    return text, hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
