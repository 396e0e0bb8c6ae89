"""The BPMN notation's markers as SVG path data, each in its own small coordinate box.

Event markers are drawn in a 36×36 box (the standard event size) and scaled to the event's bounds;
task-type icons in a 16×16 box at an activity's top-left corner; activity markers (loop,
multi-instance, collapsed, ad hoc, compensation) in a 12×12 box along its bottom edge; gateway
markers in a 50×50 box scaled to the diamond.
"""

from __future__ import annotations

import math


def _polygon(cx: float, cy: float, r: float, n: int, start: float = -90.0) -> str:
    points = []
    for k in range(n):
        angle = math.radians(start + 360.0 * k / n)
        points.append(f"{cx + r * math.cos(angle):.2f},{cy + r * math.sin(angle):.2f}")
    return "M" + " L".join(points) + " Z"


def _gear(cx: float, cy: float, outer: float, inner: float, teeth: int = 8) -> str:
    points = []
    for k in range(teeth * 2):
        r = outer if k % 2 == 0 else inner
        for delta in (-0.5, 0.5):
            angle = math.pi * (k + delta) / teeth
            points.append(f"{cx + r * math.cos(angle):.2f},{cy + r * math.sin(angle):.2f}")
    return "M" + " L".join(points) + " Z"


#: Event definition → (path in the 36 box, whether the path is a closed shape that takes the fill).
EVENT_MARKERS: dict[str, tuple[str, bool]] = {
    "messageEventDefinition": ("M9.5 12 H26.5 V24 H9.5 Z M9.5 12 L18 19 L26.5 12", True),
    "signalEventDefinition": ("M18 9.5 L26.5 24.5 H9.5 Z", True),
    "errorEventDefinition": ("M10 26.5 L14 11 L20 20 L22 9.5 L26 25 L20.5 16.5 Z", True),
    "escalationEventDefinition": ("M18 9 L25 26.5 L18 19.5 L11 26.5 Z", True),
    "conditionalEventDefinition": ("M11 9.5 H25 V26.5 H11 Z M13.5 13 H22.5 M13.5 16.5 H22.5 M13.5 20 H22.5"
                                   " M13.5 23.5 H22.5", True),
    "compensateEventDefinition": ("M9 18 L17 12.5 V23.5 Z M17 18 L25 12.5 V23.5 Z", True),
    "linkEventDefinition": ("M10 14.5 H20.5 V10.5 L28 18 L20.5 25.5 V21.5 H10 Z", True),
    "cancelEventDefinition": ("M11.5 14 L14 11.5 L18 15.5 L22 11.5 L24.5 14 L20.5 18 L24.5 22 L22 24.5"
                              " L18 20.5 L14 24.5 L11.5 22 L15.5 18 Z", True),
    "terminateEventDefinition": ("M18 10 A8 8 0 1 1 17.99 10 Z", True),
    "multiple": (_polygon(18, 18.5, 8.5, 5), True),
    "parallelMultiple": ("M15.5 9.5 H20.5 V15.5 H26.5 V20.5 H20.5 V26.5 H15.5 V20.5 H9.5 V15.5 H15.5 Z", True),
}

#: A timer is a clock face: circle, twelve ticks, two hands (drawn separately because of its parts).
TIMER_FACE = "M18 9 A9 9 0 1 1 17.99 9 Z"
TIMER_TICKS = " ".join(
    f"M{18 + 7.6 * math.cos(math.radians(a)):.2f} {18 + 7.6 * math.sin(math.radians(a)):.2f}"
    f" L{18 + 9 * math.cos(math.radians(a)):.2f} {18 + 9 * math.sin(math.radians(a)):.2f}"
    for a in range(0, 360, 30))
TIMER_HANDS = "M18 18 L19.5 10.8 M18 18 L23.5 18.5"

#: Task type → icon path in a 16×16 box; ``filled`` icons (send) take the stroke colour as fill.
TASK_ICONS: dict[str, tuple[str, bool]] = {
    "userTask": ("M8 1.8 A3.3 3.3 0 1 1 7.99 1.8 Z M1.5 15.5 C1.5 9.5 14.5 9.5 14.5 15.5 Z", False),
    "serviceTask": (_gear(8, 8, 7.2, 5.3) + " M8 5.6 A2.4 2.4 0 1 1 7.99 5.6 Z", False),
    "scriptTask": ("M4.5 1 H14 C11.5 3.5 13.5 6 12 8 C10.5 10 13.5 12.5 11 15 H1.5 C4 12.5 2 10 3.5 8"
                   " C5 6 2 3.5 4.5 1 Z M5 4.5 H10.5 M4.8 8 H10.8 M5 11.5 H10.5", False),
    "businessRuleTask": ("M0.5 2.5 H15.5 V14 H0.5 Z M0.5 6 H15.5 M0.5 10 H15.5 M5 6 V14", False),
    "sendTask": ("M0.5 3 H15.5 V13 H0.5 Z M0.5 3 L8 9 L15.5 3", True),
    "receiveTask": ("M0.5 3 H15.5 V13 H0.5 Z M0.5 3 L8 9 L15.5 3", False),
    "manualTask": ("M1 9 V6 C1 5 2.5 5 2.5 6 V4 C2.5 3 4 3 4 4 V3 C4 2 5.5 2 5.5 3 V3.5 C5.5 2.5 7 2.5 7 3.5"
                   " V9 L9 7.2 C10 6.4 11.2 7.4 10.5 8.3 L7.5 12.8 C6.8 13.8 6 14.5 4.5 14.5 H3.5"
                   " C2 14.5 1 13.5 1 12 Z", False),
}

#: Activity markers in a 12×12 box.
ACTIVITY_MARKERS: dict[str, str] = {
    "collapsed": "M0.5 0.5 H11.5 V11.5 H0.5 Z M6 3 V9 M3 6 H9",
    "loop": "M3.2 9.6 A4.3 4.3 0 1 1 8.8 9.6 M8.8 9.6 L9.2 6.9 M8.8 9.6 L11.4 9.9",
    "parallel": "M2.5 1 V11 M6 1 V11 M9.5 1 V11",
    "sequential": "M1 2.5 H11 M1 6 H11 M1 9.5 H11",
    "adhoc": "M0.5 7.5 C2.5 3 4.5 3 6 6 C7.5 9 9.5 9 11.5 4.5",
    "compensation": "M0.5 6 L6 2 V10 Z M6 6 L11.5 2 V10 Z",
}

#: Gateway markers in a 50×50 box: (path, fill it).
GATEWAY_MARKERS: dict[str, tuple[str, bool]] = {
    "exclusiveGateway": ("M17.5 16 L25 23.2 L32.5 16 L34 17.5 L26.8 25 L34 32.5 L32.5 34 L25 26.8 L17.5 34"
                         " L16 32.5 L23.2 25 L16 17.5 Z", True),
    "parallelGateway": ("M23.5 12.5 H26.5 V23.5 H37.5 V26.5 H26.5 V37.5 H23.5 V26.5 H12.5 V23.5 H23.5 Z", True),
    "inclusiveGateway": ("M25 14 A11 11 0 1 1 24.99 14 Z M25 17 A8 8 0 1 0 25.01 17 Z", True),
    "complexGateway": ("M23.8 12.5 H26.2 V22.1 L33 15.3 L34.7 17 L27.9 23.8 H37.5 V26.2 H27.9 L34.7 33"
                       " L33 34.7 L26.2 27.9 V37.5 H23.8 V27.9 L17 34.7 L15.3 33 L22.1 26.2 H12.5 V23.8"
                       " H22.1 L15.3 17 L17 15.3 L23.8 22.1 Z", True),
    "eventBasedGateway": ("M25 12.5 A12.5 12.5 0 1 1 24.99 12.5 Z M25 15 A10 10 0 1 1 24.99 15 Z"
                          " " + _polygon(25, 25.5, 6.2, 5), False),
    "parallelEventBasedGateway": ("M25 12.5 A12.5 12.5 0 1 1 24.99 12.5 Z M23 18 H27 V23 H32 V27 H27 V32 H23"
                                  " V27 H18 V23 H23 Z", False),
}
