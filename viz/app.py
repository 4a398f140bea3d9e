"""The browser app: explore a scenario's ensemble, play one world, compare two runs paired by
world, and see the region on a map. Started by `sim ui` (or `solara run viz.app`).

Every change of a lever reruns by itself: a preview of 100 worlds first, then the full ensemble,
simulated in worker processes (viz.workers) that a background task waits for and a newer change
stops. The page's state lives in its URL. Each browser session has its own state, runs and model;
nothing is shared between sessions but the parsed shipped scenarios, which are immutable, and
the workers.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from dataclasses import dataclass

import solara
import solara.lab
from ipyvuetify.extra import FileInput

from sim.analysis.compare import Comparison
from sim.errors import ScenarioError
from sim.results.dataset import Results
from sim.scenario.schema import Lever, Scenario
from sim.scenario.vocab import ASSUMPTION_MODES, DEFAULT_ASSUMPTIONS
from viz import explore, figures
from viz.ensemble import (
    brief_html,
    dataset_netcdf,
    ensemble,
    headline,
    influence_csv,
    paired,
    preset,
    run_ensemble,
    scenario_yaml,
)
from viz.plot import Plot, plot_json
from viz.uploads import read_upload
from viz.view import (
    BASELINE,
    PREVIEW_WORLDS,
    View,
    check_number,
    presets,
    scenario_of,
    view_from_query,
)
from viz.workers import Superseded, warm
from viz.world import OneWorld

PLAY_INTERVAL = 0.4  # seconds between months when a world plays
TYPING_PAUSE = 0.5  # s after the last keystroke before a typed number applies
SESSION_RUNS = 6  # runs a session keeps for the baseline and comparisons
PANEL = "32%"  # width of a small chart: three in a row
WHY = "42%"  # width of the why chart beside the text of who gains
TEXT = {"font-size": "14px", "line-height": "1.5"}
SMALL = {"font-size": "0.85em", "color": "#555"}
BAR, GREY = "#2e5fa8", "#9e9e9e"  # an input above the noise floor, or not (as importance_chart)
TRACK = {"position": "relative", "width": "40%", "height": "12px", "background": "#f2f2f2"}
BOX = {"background": "#f5f7fb", "padding": "6px 10px", "border-left": "3px solid #2e5fa8"}
FLOOR = {"position": "absolute", "top": "-2px", "bottom": "-2px", "border-left": "2px dashed red"}

warm()  # the workers start with the server, not with the first run


@dataclass(frozen=True)
class Computation:
    """What the page shows of one computation: the run (a preview or the full ensemble), the
    baseline, the paired comparison against it, and the comparison against the chosen run."""

    res: Results
    baseline: Results
    versus_baseline: Comparison
    full: bool
    versus: Comparison | None = None
    panels: Results | None = None  # the last full ensemble, for the panels under the chart
    why: Comparison | None = None  # the panels' run against the baseline, for the why chart


def cached_run(cache: dict, scenario: Scenario, v: View) -> Results:
    """A session's full run of a scenario with the view's worlds, seed and mode of
    assumptions, kept for the next change (a few at most)."""
    key = (scenario.content_hash(), v.worlds, v.seed, v.assumptions)
    if key not in cache:
        while len(cache) >= SESSION_RUNS:
            cache.pop(next(iter(cache)))
        cache[key] = run_ensemble(scenario, v.worlds, v.seed, v.assumptions)
    return cache[key]


@solara.component
def Chart(make, dependencies: list, name: str, width: str = "100%"):
    """A Plotly figure (viz/figures.py) drawn in the browser, rebuilt only when its
    dependencies change; the wrapper's class (chart-NAME) lets the tests find it."""
    figure, revision = solara.use_memo(lambda: plot_json(make()), dependencies)
    with solara.Column(classes=[f"chart-{name}"], style={"width": width}):
        Plot.element(figure=figure, revision=revision)


@solara.component
def FactorInput(item, value: float, on_value, kind: str):
    """A slider for a lever or an uncertainty (a switch for an on/off lever)."""
    step = item.step if isinstance(item, Lever) else _nice_step(item.low, item.high)
    label = item.label or item.name

    # the grid of steps runs through the current value, so that the slider has no value to
    # snap onto its grid (it would report the snap as a move); its ends stay within the range
    low = value - math.floor((value - item.low) / step + 1e-9) * step
    high = value + math.floor((item.high - value) / step + 1e-9) * step

    def moved(new: float) -> None:
        if abs(new - value) >= step / 2:  # a move by the user, not a rounding
            on_value(new)

    if item.high - item.low <= step and item.low == 0:
        solara.Switch(
            label=label, value=value >= item.high, on_value=lambda on: on_value(float(on))
        )
        return
    with solara.Column(classes=[f"{kind}-{item.name}"], gap="0px"):
        solara.Text(f"{label}: {value:g}", style={"font-size": "0.85em"})
        solara.SliderFloat("", value=value, min=low, max=high, step=step, on_value=moved)


def _nice_step(low: float, high: float) -> float:
    span = (high - low) / 50
    return float(f"{span:.1g}") if span > 0 else 1.0


@solara.component
def Upload(on_file):
    """A file picker for a scenario YAML (a real file input, as solara.FileDrop is wired:
    ipyvuetify's FileInput sends the file in chunks when the server reads it)."""
    info, set_info = solara.use_state(None)
    files, set_files = solara.use_state(None)
    picker = FileInput.element(
        label="Upload a scenario (YAML)", accept=".yaml,.yml", multiple=False,
        on_file_info=set_info,
    )  # fmt: skip

    def wire():  # in the render context, where the widget is at hand
        if info:
            widget = solara.get_widget(picker)
            widget.version += 1
            widget.reset_stats()
            set_files(widget.get_files())

    def receive():  # in a thread: the file arrives in chunks as it is read
        if files:
            on_file(files[0])

    solara.use_effect(wire, [info])
    solara.use_thread(receive, [files])
    return picker


@solara.component
def NumberInput(name: str, view: solara.Reactive, scenario: Scenario):
    """worlds or seed, typed: applied once typing pauses; a value out of range shows why and is
    not applied.

    The typed text reaches the server as the field's value, so nothing depends on an Enter or blur
    event, which the browser may send before a throttled value (an Enter would then apply the old
    number)."""
    error = solara.use_reactive("")
    typed = solara.use_reactive(getattr(view.value, name))

    def apply(cancel: threading.Event):
        if cancel.wait(TYPING_PAUSE):
            return  # typed on: the newer value applies instead
        value = typed.value
        try:
            check_number(name, int(value), scenario)
        except (ScenarioError, TypeError, ValueError) as err:
            error.set(err.message if isinstance(err, ScenarioError) else str(err))
            return
        error.set("")
        if value != getattr(view.value, name):
            view.set(view.value.replace(**{name: int(value)}))

    solara.use_thread(apply, [typed.value], intrusive_cancel=False)
    solara.InputInt(
        name.capitalize(), value=typed, continuous_update=True, classes=[f"input-{name}"]
    )
    if error.value:
        solara.Error(f"{name}: {error.value}", classes=[f"error-{name}"])


@solara.component
def Controls(view: solara.Reactive, scenario: Scenario, uploaded: solara.Reactive):
    """The sidebar: scenario, upload, policy levers, uncertain assumptions, worlds and seed."""
    base = uploaded.value or preset(view.value.preset)
    written = base.factor_values()
    current = scenario.factor_values()
    upload_error = solara.use_reactive("")

    def choose(name):
        uploaded.set(None)
        v = view.value
        view.set(View(preset=name, worlds=v.worlds, seed=v.seed, state=v.state))

    def on_file(info):
        upload_error.set("")
        try:
            scenario = read_upload(info["name"], info["size"], info["file_obj"])
        except ScenarioError as err:
            upload_error.set(str(err))
            return
        uploaded.set(scenario)
        view.set(view.value.replace(values=()))

    def setter(name):
        return lambda value: view.set(view.value.with_value(name, value, written[name]))

    solara.Select("Scenario", values=presets(), value=view.value.preset, on_value=choose)
    if uploaded.value is not None:
        solara.Info(f"Uploaded: {uploaded.value.name} (an upload is not part of the link)")
        solara.Button("Back to the library", on_click=lambda: choose(view.value.preset))
    if scenario.question:
        solara.Text(scenario.question, style={"font-size": "0.85em", "font-style": "italic"})
    Upload(on_file)
    if upload_error.value:
        solara.Error(upload_error.value, classes=["upload-error"])
    with solara.Card("Policy levers", margin=0):
        for lever in scenario.levers:
            FactorInput(lever, current[lever.name], setter(lever.name), "lever")
    if scenario.uncertainties:
        Assumptions(view, scenario, current, setter)
    with solara.Row():
        NumberInput("worlds", view, scenario)
        NumberInput("seed", view, scenario)
    solara.Button(
        "Reset levers and assumptions",
        on_click=lambda: view.set(view.value.replace(values=())),
        disabled=not view.value.values,
    )


@solara.component
def Assumptions(view: solara.Reactive, scenario: Scenario, current: dict, setter):
    """The drawn/fixed switch in a folded panel; drawn: each assumption's range (every world
    draws from it), fixed: a slider per assumption at the value every world takes."""
    opened = solara.use_reactive(view.value.assumptions != DEFAULT_ASSUMPTIONS)
    uncertain = {u.name for u in scenario.uncertainties}

    def switch(mode: str) -> None:
        opened.set(True)  # the page redraws: the panel stays open on what it switched
        levers = tuple((k, x) for k, x in view.value.values if k not in uncertain)
        view.set(view.value.replace(assumptions=mode, values=levers))

    with solara.Details("Uncertain assumptions", expand=opened.value):
        solara.ToggleButtonsSingle(
            value=view.value.assumptions, values=list(ASSUMPTION_MODES), on_value=switch,
            classes=["assumptions-mode"],
        )  # fmt: skip
        if view.value.assumptions == "drawn":
            _ranges(scenario)
        else:
            for item in scenario.uncertainties:
                FactorInput(item, current[item.name], setter(item.name), "uncertainty")


def _ranges(scenario: Scenario) -> None:
    """Each assumption's range and distribution, as every world draws it."""
    small = {"font-size": "0.8em"}
    solara.Text("Each world draws every assumption from its range; the bands carry them.",
                style=small)  # fmt: skip
    for item in scenario.uncertainties:
        text = f"{item.label or item.name}: {item.low:g} to {item.high:g} ({item.distribution})"
        solara.Text(text, classes=[f"range-{item.name}"], style=small)
    if scenario.shares:
        names = ", ".join(s.label or s.name for s in scenario.shares)
        solara.Text(f"Drawn together, keeping their sum: {names}", style=small)


@solara.component
def EnsembleView(computed: Computation, view: View, month: int):
    res, state = computed.res, view.state
    Chart(
        lambda: figures.influence_chart(res, state, computed.baseline),
        [id(res), state],
        "influence",
    )
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}):
        with solara.Column(classes=["headline"], gap="2px", style={"flex": "1 1 55%"}):
            for line in headline(computed.versus_baseline, state):
                solara.Text(line, style=TEXT)
        why = computed.why  # like the panels, of the last full ensemble
        Chart(lambda: figures.why_chart(why, state), [id(why), state], "why", WHY)
    EventList(res)
    # the panels follow the full ensemble only: a preview redraws just the chart above, so that
    # it shows within half a second (benchmarks/bench_ui.py)
    full = computed.panels or res
    key = [id(full), state]
    with solara.Row(style={"flex-wrap": "wrap"}):
        Chart(lambda: figures.heat_map(full, month), [id(full), month], "heatmap", PANEL)
        Chart(lambda: figures.threat_chart(full, state), key, "threat", PANEL)
        Chart(lambda: figures.trade_chart(full, state), key, "trade", PANEL)
    # on the first load the panels show the first preview until the full run arrives: the
    # explore panel waits for a full ensemble
    Explore(full if computed.full or full is not res else None, state)


@solara.component
def Explore(full: Results | None, state: str):
    """Which drawn assumptions a power's influence over the state at the last month depends on,
    for the last full ensemble (never a preview), computed in the background when it arrives;
    on demand, the PRIM box of the worlds where that power leads. The power is the leader
    (highest median) until one is chosen."""
    chosen = solara.use_reactive(None)
    everything = solara.use_reactive(False)
    asked = solara.use_reactive(None)  # (run, state, power) whose box was asked for
    top = solara.use_memo(lambda: full and explore.leader(full, state), [id(full), state])
    power = chosen.value or top
    key = (id(full), state, power)
    ranked = solara.lab.use_task(
        lambda: full and explore.ranking(full, state, power), dependencies=list(key),
        raise_error=False,
    )  # fmt: skip
    boxed = solara.lab.use_task(
        lambda: asked.value == key and explore.lead_box(full, state, power),
        dependencies=[asked.value], raise_error=False,
    )  # fmt: skip
    with solara.Card("Explore: which assumptions matter", classes=["explore"], margin=0):
        with solara.Column(gap="6px"):
            _explore(full, state, power, chosen, everything, ranked)
            result = ranked.latest if isinstance(ranked.latest, explore.Ranking) else None
            if full is None or result is None or result.message:
                return
            with solara.Row(style={"align-items": "center"}):
                solara.Button(
                    f"Where does {power} lead? (PRIM box)", on_click=lambda: asked.set(key),
                    disabled=asked.value == key, classes=["explore-prim"],
                )  # fmt: skip
                if asked.value == key and boxed.pending:
                    solara.Text(f"Finding the box over {full.worlds} worlds (a few seconds)…",
                                style=SMALL)  # fmt: skip
            if asked.value != key:
                return
            if boxed.error:
                solara.Error(f"The box failed: {boxed.exception}", classes=["explore-error"])
            if boxed.finished and isinstance(boxed.value, explore.Box):
                with solara.Column(classes=["explore-box"], gap="2px", style=BOX):
                    for line in boxed.value.lines or (boxed.value.message,):
                        solara.Text(line, style=TEXT)


def _explore(full, state: str, power, chosen, everything, ranked) -> None:
    """The explore panel's power choice and ranking, or why there is none (yet)."""
    if full is None:
        solara.Text("Shown once the full ensemble has run.", classes=["explore-pending"])
        return
    result = ranked.latest if isinstance(ranked.latest, explore.Ranking) else None
    if result is not None and result.message:
        solara.Info(result.message, classes=["explore-fixed"])
        return
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Text(f"Influence over {state} at the last month of", style=TEXT)
        solara.ToggleButtonsSingle(
            value=power, values=full.labels("power"), on_value=chosen.set, dense=True,
            classes=["explore-power"],
        )  # fmt: skip
        if ranked.pending or result is None:
            solara.Text("ranking the assumptions…", classes=["explore-pending"], style=SMALL)
    if ranked.error:
        solara.Error(f"The ranking failed: {ranked.exception}", classes=["explore-error"])
    if result is not None:
        _ranking(result, full, everything)


def _ranking(result: explore.Ranking, full: Results, everything: solara.Reactive) -> None:
    """The ranked inputs as labelled bars, the noise floor dashed across them, the inputs not
    distinguishable from it in grey; the first TOP unless all are asked for."""
    count = len(result.inputs)
    solara.Text(
        f"PAWN index of {result.outcome}, to each drawn assumption, over the {result.worlds} "
        f"worlds of {full.scenario.name} (0: the outcome does not depend on it).",
        style=TEXT,
    )
    shown = result.inputs if everything.value else result.inputs[: explore.TOP]
    scale = max(result.inputs[0].index, result.noise) * 1.05
    floor = f"{100 * result.noise / scale:.1f}%"
    with solara.Column(classes=["explore-ranking"], gap="1px"):
        for item in shown:
            _ranked_input(item, scale, floor)
    solara.Text(
        f"Noise floor {explore.significant(result.noise)} (red dashes: the highest index of "
        f"inputs of pure noise). {result.above} of {count} assumptions lie above it; were none "
        f"to matter, about {result.by_chance:.0f} would by chance, so those just above it may "
        "still be noise. Grey: not distinguishable from noise. One estimate, no resampling: no "
        "interval.",
        classes=["explore-floor"],
        style=SMALL,
    )
    if count > explore.TOP:
        with solara.Row():
            solara.Button(
                f"Show the top {explore.TOP}" if everything.value else f"Show all {count}",
                on_click=lambda: everything.set(not everything.value), text=True,
                classes=["explore-all"],
            )  # fmt: skip


def _ranked_input(item: explore.Ranked, scale: float, floor: str) -> None:
    """One input: its label, its index as a bar (the floor dashed across it) and as a number,
    in grey when not distinguishable from noise."""
    ink, fill = ("#222", BAR) if item.distinguishable else (GREY, GREY)
    classes = ["explore-input"] + ([] if item.distinguishable else ["explore-noise"])
    with solara.Row(classes=classes, style={"align-items": "center", "gap": "8px"}):
        solara.Text(item.label, style={"width": "46%", "font-size": "13px", "color": ink})
        with solara.Div(style=TRACK):
            solara.Div(style={"width": f"{100 * item.index / scale:.1f}%", "height": "100%",
                              "background": fill})  # fmt: skip
            solara.Div(style={**FLOOR, "left": floor})
        solara.Text(explore.significant(item.index), style={"font-size": "13px", "color": ink})


@solara.component
def EventList(res: Results):
    markers = res.event_markers()
    if markers:
        with solara.Details(
            f"Scheduled events ({len(markers)}), numbered as in the chart's hover labels"
        ):
            with solara.Column(gap="0px"):
                for number, (month, label) in enumerate(markers, start=1):
                    solara.Text(f"{number}. {res.dates[month]:%Y-%m} {label}", style=TEXT)


@solara.component
def WorldView(scenario: Scenario, view: View):
    """One world played month by month (its own Mesa model, in this session only)."""
    world_index = solara.use_reactive(0)
    resets = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    months = solara.use_reactive(0)
    world = solara.use_memo(
        lambda: OneWorld(scenario, view.seed, world_index.value, view.assumptions),
        [scenario.content_hash(), view.seed, world_index.value, resets.value, view.assumptions],
    )
    play_task = solara.use_ref(None)

    def step():
        world.step()
        months.set(world.month)

    def reset():
        playing.set(False)
        resets.set(resets.value + 1)
        months.set(0)

    def play():
        while playing.value and not world.finished:
            time.sleep(PLAY_INTERVAL)
            if play_task.current is None or not play_task.current.is_current():
                return
            step()
        playing.set(False)

    play_task.current = solara.lab.use_task(play, dependencies=[playing.value, id(world)])
    month = months.value  # read here, so that setting it redraws this view
    with solara.Row():
        solara.Button("Step", on_click=step, disabled=world.finished or playing.value)
        solara.Button(
            "Pause" if playing.value else "Play",
            on_click=lambda: playing.set(not playing.value),
            disabled=world.finished,
        )
        solara.Button("Reset", on_click=reset)
        solara.InputInt(
            f"World (0-{view.worlds - 1})",
            value=world_index.value,
            on_value=lambda k: world_index.set(min(max(int(k), 0), view.worlds - 1)),
            continuous_update=False,
            classes=["input-world"],
        )
    _world_month(world, scenario, view.state, month)


def _world_month(world: OneWorld, scenario: Scenario, state: str, month: int) -> None:
    """What the one world shows after `month` months: the date, its events and its charts."""
    res = world.results()
    date = f"{res.dates[month - 1]:%Y-%m}" if month else "not started"
    solara.Text(
        f"Month {month} of {scenario.horizon_months} ({date}), world {world.world}",
        classes=["world-month"],
    )
    with solara.Column(gap="0px", classes=["world-events"]):
        for line in world.events() or (["nothing scheduled or drawn"] if month else []):
            solara.Text(line, style=TEXT)
    key = [id(world), month, state]
    Chart(lambda: figures.influence_chart(res, state, until=month), key, "world-influence")
    with solara.Row(style={"flex-wrap": "wrap"}):
        if month:
            Chart(lambda: figures.heat_map(res, month - 1), key, "world-heatmap", PANEL)
        Chart(lambda: figures.threat_chart(res, state, until=month), key, "world-threat", PANEL)


@solara.component
def CompareView(computed: Computation, view: solara.Reactive, scenario: Scenario, pinned):
    with solara.Row():
        solara.Select(
            "Compare against",
            values=presets(),
            value=view.value.against,
            on_value=lambda name: (pinned.set(None), view.set(view.value.replace(against=name))),
        )
        solara.Button(
            "Pin the current scenario as the comparison", on_click=lambda: pinned.set(scenario)
        )
    if pinned.value is not None:
        solara.Info("Comparing against the pinned scenario: move levers to see their effect.")
    if computed.versus is None:
        solara.Text("Computing the comparison…", classes=["compare-pending"])
        return
    comparison, state = computed.versus, view.value.state
    Chart(
        lambda: figures.difference_chart(comparison, state), [id(comparison), state], "difference"
    )
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "flex-start"}):
        with solara.Column(classes=["compare-text"], gap="2px", style={"flex": "1 1 55%"}):
            for line in headline(comparison, state):
                solara.Text(line, style=TEXT)
        key = [id(comparison), state]
        Chart(lambda: figures.why_chart(comparison, state), key, "compare-why", WHY)


@solara.component
def MapView(computed: Computation, view: solara.Reactive):
    res = computed.res
    month = res.months - 1 if view.value.month < 0 else view.value.month
    Chart(lambda: figures.map_figure(res, month), [id(res), month], "map")


@solara.component
def Downloads(computed: Computation, scenario: Scenario):
    res = computed.res
    # room beneath for Solara's banner, which sits over the bottom right corner of the page
    with solara.Row(classes=["downloads"], style={"padding-bottom": "48px", "flex-wrap": "wrap"}):
        solara.FileDownload(
            lambda: influence_csv(res), f"{scenario.name}_influence.csv", "Influence bands (CSV)"
        )
        solara.FileDownload(
            lambda: dataset_netcdf(res), f"{scenario.name}.nc", "All series (NetCDF)"
        )
        solara.FileDownload(
            lambda: scenario_yaml(scenario), f"{scenario.name}.yaml", "Scenario (YAML)"
        )
        solara.FileDownload(
            lambda: brief_html(computed.versus_baseline),
            f"{scenario.name}_brief.html",
            "Brief (HTML)",
        )


@solara.component
def Page():
    router = solara.use_router()
    first = solara.use_memo(lambda: view_from_query(router.search), [])
    view = solara.use_reactive(first)
    uploaded = solara.use_reactive(None)
    pinned = solara.use_reactive(None)
    tab = solara.use_reactive(0)
    runs = solara.use_ref({})  # this session's full runs (baseline, comparisons)
    task_ref = solara.use_ref(None)
    last_full = solara.use_ref(None)  # the panels keep its run while a preview is shown

    def sync_url():
        query = view.value.query()
        if query != (router.search or ""):
            router.push(f"{router.path}?{query}" if query else router.path)

    solara.use_effect(sync_url, [view.value])
    v = view.value
    try:
        scenario = scenario_of(v, uploaded.value)
        problem = ""
    except ScenarioError as err:  # a value the sliders cannot give, from an old link
        scenario, problem = scenario_of(v.replace(values=()), uploaded.value), str(err)
    against = pinned.value or preset(v.against)

    def compute():
        def current():
            return task_ref.current is not None and task_ref.current.is_current()

        yield from _computations(scenario, against, v, runs.current, last_full, current)

    key = [scenario.content_hash(), v.worlds, v.seed, against.content_hash(), v.assumptions]
    task = solara.lab.use_task(compute, dependencies=key, raise_error=False)
    task_ref.current = task
    computed: Computation | None = task.latest if isinstance(task.latest, Computation) else None

    solara.Title("Regional influence simulator")
    with solara.Sidebar():
        Controls(view, scenario, uploaded)
    for message in (*v.problems, problem):
        if message:
            solara.Warning(f"From the link: {message}", classes=["link-problem"])
    month = _view_bar(view, scenario, _status(task, computed, v))
    if task.error and not isinstance(task.exception, Superseded):
        solara.Error(f"The run failed: {task.exception}", classes=["run-error"])
    if computed is None:
        solara.ProgressLinear(True)
        return
    with solara.lab.Tabs(value=tab, lazy=True):
        with solara.lab.Tab("Ensemble"):
            EnsembleView(computed, dataclasses.replace(v, month=month), month)
        with solara.lab.Tab("One world"):
            WorldView(scenario, v)
        with solara.lab.Tab("Compare"):
            CompareView(computed, view, scenario, pinned)
        with solara.lab.Tab("Map"):
            MapView(computed, view)
    Downloads(computed, scenario)


def _computations(scenario: Scenario, against: Scenario, v: View, runs: dict, last_full, current):
    """What the page shows as the run refines: the previews, the full ensemble, then the
    full ensemble with its comparison against the chosen run (`last_full` keeps the last full
    computation for the panels and the why chart while a preview is shown; `current` says
    whether still wanted)."""
    try:
        base = cached_run(runs, preset(BASELINE), v)
        kept = last_full.current
        panels, why = (kept.res, kept.versus_baseline) if kept else (None, None)
        for res in ensemble(scenario, v.worlds, v.seed, PREVIEW_WORLDS, current, v.assumptions):
            full = res.worlds == v.worlds
            versus = paired(res, base)
            if full or panels is None:
                panels, why = res, versus
            computed = Computation(res, base, versus, full, panels=panels, why=why)
            yield computed
        last_full.current = computed
        other = cached_run(runs, against, v)
        versus = computed.versus_baseline if other is base else paired(res, other)
        yield dataclasses.replace(computed, versus=versus)
    except Superseded:
        return


def _view_bar(view: solara.Reactive, scenario: Scenario, status: str) -> int:
    """The state and month shown, and the run's status; returns the month shown."""
    v, states = view.value, scenario.codes("host", "neighbor")
    month = v.month if v.month >= 0 else scenario.horizon_months - 1
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Select(
            "State shown",
            values=states,
            value=v.state if v.state in states else states[0],
            on_value=lambda s: view.set(view.value.replace(state=s)),
        )
        solara.SliderInt(
            "Month (heat map, map)",
            value=month,
            min=0,
            max=scenario.horizon_months - 1,
            on_value=lambda m: view.set(view.value.replace(month=m)),
        )
        solara.Text(status, classes=["status"])
    return month


def _status(task, computed: Computation | None, view: View) -> str:
    if computed is None:
        return "running the first preview…"
    shown = (
        f"{computed.res.scenario.name}: {computed.res.worlds} worlds, seed {view.seed}, "
        f"assumptions {view.assumptions}"
    )
    if task.pending and not computed.full:
        return f"{shown}; refining to {view.worlds} worlds…"
    return f"{shown} (full ensemble)" if computed.full else shown
