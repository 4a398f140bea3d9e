"""The page's figures, as Plotly figures that the browser draws from their numbers (viz/plot.py):
influence over a state with its 5-95% bands, the baseline as a ghost line and the events; the
heat map of every power over every state; threat and trade; the paired difference and why it
moves; the regional map.

Pointing reads a chart: the hover label gives the date and each line's value with its band (and
the baseline's value), and a scheduled event's label; a drag zooms, a double click resets. Each
figure takes Results (an ensemble, or one world) and, for the one-world view, `until`: the
months simulated so far (later months are left out). Nothing here knows Solara.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import xarray as xr
from matplotlib.colors import to_hex, to_rgb

from sim.analysis.compare import Comparison
from sim.results.dataset import Results
from sim.results.plots import power_color
from sim.results.reduce import world_quantiles
from sim.scenario.vocab import INFLUENCE_COMPONENTS
from viz.geography import CLOSED, CROSSINGS, position

COMPONENT_COLORS = dict(
    zip(INFLUENCE_COMPONENTS, ("#4c78a8", "#e45756", "#54a24b", "#b279a2", "#9d755d"), strict=True)
)
EVENT_GREY, DRAWN_GREY, EDGE = "#8a8a8a", "#dedede", "rgba(115,115,115,0.35)"
FONT = {"family": "Roboto, Arial, sans-serif", "size": 12, "color": "#333"}
HEIGHT = {"wide": 400, "panel": 300, "why": 340, "map": 540}


def _figure(title: str, height: int, **layout) -> go.Figure:
    """An empty figure with the page's look: title top left, legend under the plot."""
    fig = go.Figure()
    fig.update_layout(
        template="plotly_white",
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 13}},
        height=height,
        margin={"l": 55, "r": 15, "t": 40, "b": 30},
        font=FONT,
        legend={"orientation": "h", "x": 0, "y": -0.1, "yanchor": "top", "font": {"size": 11}},
        hoverlabel={"font": {"size": 12}},
    )
    fig.update_layout(**layout)  # merged into the above (a margin's sides, say)
    return fig


def _color(code: str, i: int) -> str:
    return to_hex(power_color(code, i))


def _fill(color: str, alpha: float = 0.18) -> str:
    r, g, b = (round(255 * c) for c in to_rgb(color))
    return f"rgba({r},{g},{b},{alpha})"


def _end(res: Results, until: int | None) -> int:
    """Months shown: all, or those simulated so far."""
    return res.months if until is None else max(until, 0)


def _time_axis(fig: go.Figure, res: Results, **yaxis) -> None:
    """The whole horizon on x (a world played halfway keeps its scale), dates as YYYY-MM in
    the hover label, which lists every line at the month pointed at."""
    fig.update_layout(
        hovermode="x unified",
        xaxis={"type": "date", "range": [res.dates[0], res.dates[-1]], "hoverformat": "%Y-%m"},
        yaxis=yaxis,
    )


def _line(
    fig: go.Figure,
    dates,
    bands,
    name: str,
    color: str,
    *,
    band: bool = True,
    dash: str = "solid",
    width: float = 2.0,
    number: str = ".3f",
    spread: str = "5-95%",
    baseline=None,
) -> None:
    """A line through `middle` (a median, or a mean) with its band from `low` to `high`, `bands`
    = (low, middle, high), each (month,): the band shaded when `band`, and in the hover label
    either way, beside `baseline`'s value at that month when given."""
    low, middle, high = (np.asarray(b, dtype=float) for b in bands)
    if band:
        fig.add_scatter(
            x=np.concatenate([dates, dates[::-1]]), y=np.concatenate([high, low[::-1]]),
            mode="lines", fill="toself", fillcolor=_fill(color), line={"width": 0},
            hoverinfo="skip", showlegend=False, legendgroup=name,
        )  # fmt: skip
    columns = [low, high] if baseline is None else [low, high, np.asarray(baseline, dtype=float)]
    also = "" if baseline is None else f"; baseline %{{customdata[2]:{number}}}"
    fig.add_scatter(
        x=dates, y=middle, name=name, legendgroup=name, mode="lines",
        line={"color": color, "width": width, "dash": dash},
        customdata=np.column_stack(columns),
        hovertemplate=f"{name} %{{y:{number}}} ({spread} %{{customdata[0]:{number}}} to "
        f"%{{customdata[1]:{number}}}{also})<extra></extra>",
    )  # fmt: skip


def holder_bands(res: Results, state: str) -> dict[str, np.ndarray]:
    """(5%, median, 95%) over worlds of each holder's influence over `state`, (3, month) each:
    the powers, then over the host the neighbours holding influence over it."""
    bands: dict[str, np.ndarray] = {}
    for part in res.holdings():
        if state in part.state.values:
            q = world_quantiles(part.sel(state=state)).values  # (3, month, holder)
            for k, holder in enumerate(part.holder.values):
                bands.setdefault(str(holder), q[:, :, k])
    return bands


def influence_chart(
    res: Results, state: str, baseline: Results | None = None, until: int | None = None
) -> go.Figure:
    """Median and 5-95% band of each power's influence over `state`, the baseline's medians as
    dashed ghost lines, the medians of the neighbours holding influence over the host
    dash-dotted (their band in the hover label), events marked."""
    end = _end(res, until)
    dates, powers = res.dates[:end], res.labels("power")
    bands = holder_bands(res, state)
    ghosts = holder_bands(baseline, state) if baseline is not None else {}
    aligned = baseline is not None and baseline.dates[:end].equals(dates)  # same months
    reach = [bands[h][2 if h in powers else 1, :end] for h in bands]
    reach += [ghosts[h][1] for h in powers if h in ghosts]
    top = max(0.05, 1.2 * max((float(r.max(initial=0)) for r in reach), default=0))
    worlds = "one world" if res.worlds == 1 else f"{res.worlds} worlds, median and 5-95%"
    styles = (", dashed: baseline" if ghosts else "") + (
        ", dash-dot: neighbours" if len(bands) > len(powers) else ""
    )
    fig = _figure(f"Influence over {state}: {res.scenario.name} ({worlds}{styles})", HEIGHT["wide"])
    _drawn_events(fig, res, end, top)
    for i, (holder, (low, middle, high)) in enumerate(bands.items()):
        color, power, ghost = _color(holder, i), holder in powers, ghosts.get(holder)
        if ghost is not None and power:
            fig.add_scatter(
                x=baseline.dates, y=ghost[1], mode="lines", legendgroup=holder, showlegend=False,
                line={"color": color, "width": 1.2, "dash": "dash"}, opacity=0.6,
                hoverinfo="skip",
            )  # fmt: skip
        _line(
            fig, dates, (low[:end], middle[:end], high[:end]), holder, color, band=power,
            dash="solid" if power else "dashdot", width=2.0 if power else 1.4,
            baseline=ghost[1][:end] if ghost is not None and aligned else None,
        )  # fmt: skip
    _scheduled_events(fig, res, end, top)
    _time_axis(fig, res, range=[0, top], title="influence index [0, 1]")
    return fig


def _drawn_events(fig: go.Figure, res: Results, end: int, top: float) -> None:
    """The events drawn (mean over worlds per month) as a grey step area along the bottom, a
    sixth of the chart's height at most, their number in the hover label."""
    drawn = res.dataset["events"].isel(month=slice(0, end)).sum("shock").mean("world").values
    if drawn.size and drawn.max() > 0:
        fig.add_scatter(
            x=res.dates[:end], y=drawn * top / 6 / drawn.max(), customdata=drawn, mode="lines",
            line={"width": 0, "shape": "hvh"}, fill="tozeroy", fillcolor=DRAWN_GREY,
            name="events drawn", showlegend=False,
            hovertemplate="events drawn: %{customdata:.2f} (mean over worlds)<extra></extra>",
        )  # fmt: skip


def _scheduled_events(fig: go.Figure, res: Results, end: int, top: float) -> None:
    """Scheduled events as dotted lines, each month's with a marker at the top whose hover label
    gives its events, numbered as in the page's list."""
    by_month: dict[int, list[str]] = {}
    for number, (month, label) in enumerate(res.event_markers(), start=1):
        if month < end:
            by_month.setdefault(month, []).append(f"{number}. {label}")
    months = sorted(by_month)
    line = {"color": EVENT_GREY, "width": 0.8, "dash": "dot"}
    fig.update_layout(
        shapes=[
            {"type": "line", "xref": "x", "yref": "paper", "x0": res.dates[m], "x1": res.dates[m],
             "y0": 0, "y1": 1, "layer": "below", "line": line}
            for m in months
        ]
    )  # fmt: skip
    if months:
        fig.add_scatter(
            x=res.dates[months], y=[top] * len(months), mode="markers", name="scheduled events",
            marker={"symbol": "triangle-down", "size": 9, "color": EVENT_GREY}, cliponaxis=False,
            customdata=["<br>".join(by_month[m]) for m in months],
            hovertemplate="%{customdata}<extra></extra>",
        )  # fmt: skip


def influence_at(res: Results, month: int) -> np.ndarray:
    """(5%, median, 95%) over worlds of every power's influence over every state at one month:
    (3, power, state)."""
    return world_quantiles(res.dataset["influence"].isel(month=[month])).values[:, 0]


def heat_map(res: Results, month: int) -> go.Figure:
    """Median influence of every power over every state at one month, the 5-95% band of each
    cell in its hover label."""
    q05, median, q95 = influence_at(res, month)
    date = f"{res.dates[month]:%Y-%m}"
    fig = _figure(f"Median influence, {date}", HEIGHT["panel"], hovermode="closest")
    fig.add_heatmap(
        z=median, x=res.labels("state"), y=res.labels("power"), colorscale="YlOrRd",
        zmin=0, zmax=max(0.05, float(median.max())), texttemplate="%{z:.2f}",
        textfont={"size": 10}, customdata=np.stack([q05, q95], axis=-1), xgap=1, ygap=1,
        colorbar={"thickness": 12},
        hovertemplate=f"%{{y}} over %{{x}}, {date}: %{{z:.3f}} (5-95% %{{customdata[0]:.3f}} "
        "to %{customdata[1]:.3f})<extra></extra>",
    )  # fmt: skip
    fig.update_layout(yaxis={"autorange": "reversed"}, margin={"b": 30, "r": 5})
    return fig


def threat_chart(res: Results, state: str, until: int | None = None) -> go.Figure:
    """Threat perceived by `state` (median and band) and by each power (medians, their bands
    in the hover label)."""
    end = _end(res, until)
    powers = res.labels("power")
    q = world_quantiles(res.series("threat").sel(actor=[state, *powers])).values[:, :end]
    fig = _figure(f"Threat perceived (median; band: {state} 5-95%)", HEIGHT["panel"])
    dates = res.dates[:end]
    _line(fig, dates, q[:, :, 0], state, "#333333")
    for i, power in enumerate(powers):
        _line(fig, dates, q[:, :, i + 1], power, _color(power, i), band=False, width=1.3)
    _time_axis(fig, res, range=[0, 1])
    return fig


def trade_chart(res: Results, state: str, until: int | None = None, partners: int = 5) -> go.Figure:
    """`state`'s trade (imports plus exports) with its largest partners in the first month:
    medians over worlds, their bands in the hover label."""
    end = _end(res, until)
    trade = res.dataset["trade"]
    exporters, importers = res.labels("exporter"), res.labels("importer")
    flows = {  # each partner's flows to and from the state
        partner: [
            (e, i) in ((state, partner), (partner, state))
            for e, i in zip(exporters, importers, strict=True)
        ]
        for partner in sorted(set(exporters + importers) - {state})
    }
    flows = {partner: mask for partner, mask in flows.items() if any(mask)}
    totals = trade.values @ np.array(list(flows.values()), dtype=trade.dtype).T
    q = world_quantiles(xr.DataArray(totals, dims=("month", "world", "partner"))).values[:, :end]
    ranked = np.argsort(-q[1, :1].sum(axis=0), kind="stable")[:partners]
    fig = _figure(f"Trade of {state} with its largest partners (median)", HEIGHT["panel"])
    for k, p in enumerate(ranked):
        _line(fig, res.dates[:end], q[:, :, p], list(flows)[p], to_hex(f"C{k}"), band=False,
              width=1.5, number=".1f")  # fmt: skip
    _time_axis(fig, res, rangemode="tozero", title="USD M / month")
    return fig


def difference_chart(comparison: Comparison, state: str) -> go.Figure:
    """The paired difference of each holder's influence over `state` (a minus b), its mean with
    its confidence interval as a band; neighbours holding influence over the host dashed."""
    rows = comparison.table[comparison.table.state == state]
    if rows.empty:
        raise KeyError(f"the comparison holds no state {state!r}")
    a, b = comparison.a, comparison.b
    fig = _figure(
        f"Influence over {state}: {a.scenario.name} minus {b.scenario.name} (paired, "
        f"{comparison.confidence:.0%} interval over {a.worlds} worlds)",
        HEIGHT["wide"],
    )
    for i, (holder, part) in enumerate(rows.groupby("holder", sort=False, observed=True)):
        dash = "dash" if part.holder_kind.iloc[0] == "neighbour" else "solid"
        _line(
            fig, part.date.to_numpy(), (part.ci_low, part.difference, part.ci_high), holder,
            _color(holder, i), dash=dash, width=1.6, number="+.4f",
            spread=f"{comparison.confidence:.0%} interval",
        )  # fmt: skip
    fig.add_hline(y=0, line={"color": "#555", "width": 0.8})
    _time_axis(fig, a, title="difference of influence")
    return fig


def why_chart(comparison: Comparison, state: str) -> go.Figure:
    """Why each holder's influence over `state` moves by the last month: the mean change of each
    component a segment of the holder's bar, gains to the right of zero and losses to the left,
    and the holder's mean change a black tick (the segments add up to it)."""
    table = comparison.decompose(state)
    holders = list(dict.fromkeys(table.holder))
    date = f"{comparison.a.dates[-1]:%Y-%m}"
    fig = _figure(
        f"Why: the mean change over {state} by {date}, by component", HEIGHT["why"],
        barmode="relative", hovermode="y unified", yaxis={"autorange": "reversed"},
        xaxis={"title": {"text": "mean change of the influence index", "font": {"size": 11}},
               "zeroline": True, "zerolinecolor": "#555"},
        margin={"l": 45, "b": 40},
    )  # fmt: skip
    for component, color in COMPONENT_COLORS.items():
        means = table[table.component == component].set_index("holder")["mean"]
        fig.add_bar(
            y=holders, x=means.reindex(holders), orientation="h", name=component,
            marker={"color": color}, hovertemplate=f"{component} %{{x:+.4f}}<extra></extra>",
        )  # fmt: skip
    totals = table.groupby("holder", sort=False)["mean"].sum().reindex(holders)
    fig.add_scatter(
        y=holders, x=totals, mode="markers", name="the holder's total",
        marker={"symbol": "line-ns", "size": 18, "line": {"width": 2.5, "color": "black"}},
        hovertemplate="total %{x:+.4f}<extra></extra>",
    )  # fmt: skip
    fig.update_layout(legend={"y": -0.2})
    return fig


def map_figure(res: Results, month: int) -> go.Figure:
    """The region at `month` (index into the run's months): states at their capitals coloured by
    the power with the most influence over them (shade: how much), the powers at the map's edge,
    a line per trading pair as wide as its median trade, and the border crossings into the host,
    a red cross when more than half their flow is blocked. Each mark's hover label gives its
    numbers."""
    codes = res.labels("actor")
    where = {code: position(code, k) for k, code in enumerate(codes)}
    date = f"{res.dates[month]:%Y-%m}"
    fig = _figure(
        f"{res.scenario.name}, {date}: states coloured by the leading power (shade: its "
        "influence)", HEIGHT["map"], hovermode="closest", showlegend=False,
        xaxis={"visible": False}, yaxis={"visible": False, "scaleanchor": "x"},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )  # fmt: skip
    _trade_edges(fig, res, month, where)
    _states(fig, res, month, where, date)
    for i, power in enumerate(res.labels("power")):
        x, y = where[power]
        fig.add_scatter(
            x=[x], y=[y], mode="markers+text", text=[power], textfont={"color": "white"},
            marker={"symbol": "square", "size": 30, "color": _color(power, i)},
            hovertemplate=f"{power} (a power, at the map's edge in its direction)<extra></extra>",
        )  # fmt: skip
    _crossings(fig, res, month, where)
    fig.add_annotation(
        text="schematic: approximate longitude and latitude; powers at the map's edge",
        xref="paper", yref="paper", x=0, y=0, showarrow=False, font={"size": 10, "color": "#777"},
    )  # fmt: skip
    return fig


def _states(fig: go.Figure, res: Results, month: int, where: dict, date: str) -> None:
    """Each state coloured by its leading power, shaded by that power's median influence; its
    hover label lists every power's median with its band."""
    q05, median, q95 = influence_at(res, month)
    powers = res.labels("power")
    for j, state in enumerate(res.labels("state")):
        lead = int(np.argmax(median[:, j]))
        strength = float(median[lead, j])
        lines = [
            f"{p} {median[i, j]:.3f} (5-95% {q05[i, j]:.3f} to {q95[i, j]:.3f})"
            for i, p in enumerate(powers)
        ]
        x, y = where[state]
        fig.add_scatter(
            x=[x], y=[y], mode="markers+text", text=[f"{state}<br>{powers[lead]} {strength:.2f}"],
            textfont={"size": 10, "color": "white" if strength > 0.3 else "#333"},
            hovertemplate="<br>".join([f"{state}, {date}", *lines])
            + "<extra></extra>",
            marker={"size": 44, "color": _color(powers[lead], lead),
                    "opacity": 0.25 + 0.75 * min(strength / 0.5, 1)},
        )  # fmt: skip


def _trade_edges(fig: go.Figure, res: Results, month: int, where: dict) -> None:
    """A line per trading pair, its width growing with the pair's median trade that month; the
    pair's trade in the hover label of its middle."""
    trade = res.dataset["trade"].isel(month=month).median("world").values
    pairs: dict[tuple[str, str], float] = {}
    for value, a, b in zip(trade, res.labels("exporter"), res.labels("importer"), strict=True):
        key = tuple(sorted((a, b)))
        pairs[key] = pairs.get(key, 0.0) + float(value)
    largest = max(pairs.values(), default=0.0) or 1.0
    middles = {"x": [], "y": [], "text": []}
    for (a, b), value in pairs.items():
        if value > 0:
            (xa, ya), (xb, yb) = where[a], where[b]
            fig.add_scatter(
                x=[xa, xb], y=[ya, yb], mode="lines", hoverinfo="skip",
                line={"color": EDGE, "width": 0.5 + 7 * np.sqrt(value / largest)},
            )  # fmt: skip
            middles["x"].append((xa + xb) / 2)
            middles["y"].append((ya + yb) / 2)
            middles["text"].append(f"{a}-{b} trade: {value:,.1f} USD M/month (median)")
    fig.add_scatter(
        x=middles["x"], y=middles["y"], customdata=middles["text"], mode="markers",
        marker={"size": 7, "color": "rgba(115,115,115,0.2)"},
        hovertemplate="%{customdata}<extra></extra>",
    )  # fmt: skip


def _crossings(fig: go.Figure, res: Results, month: int, where: dict) -> None:
    """The border crossings into the host: open (green dot) or closed (red cross and label)."""
    blocked = res.dataset["disruption"].isel(month=month).median("world").values
    host = where[res.scenario.codes("host")[0]]
    for value, crossing in zip(blocked, res.labels("crossing"), strict=True):
        x, y = CROSSINGS.get(crossing, host)
        closed = value > CLOSED
        fig.add_scatter(
            x=[x], y=[y], mode="markers+text" if closed else "markers",
            text=[f"{crossing} closed" if closed else ""], textposition="bottom right",
            textfont={"size": 10, "color": "#b2182b"},
            marker={"symbol": "x" if closed else "circle", "size": 12 if closed else 8,
                    "color": "#b2182b" if closed else "#1a9850"},
            hovertemplate=f"{crossing}: {value:.0%} of its flow blocked (median)"
            + (", closed" if closed else "") + "<extra></extra>",
        )  # fmt: skip
