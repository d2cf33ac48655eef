"""JUnit XML, as Jenkins and GitLab read test reports: a suite per section, a test case per finding.

A finding the gate fails on is a failed test case (``<failure>``), a waived one
a skipped case, and any other finding (one a major bump allows included) a
passing case that says what changed; a
section without findings is one passing case, so every check that ran shows up.
No timestamps or durations: the same input gives byte-identical XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..report import Entry, Report, Section
from .common import arches, locations


def render(report: Report, color: bool = False) -> str:
    root = ET.Element("testsuites", name=f"pvabi {report.command}")
    tests = failures = skipped = 0
    for section in report.in_display_order():
        suite = _suite(report, section)
        root.append(suite)
        tests += int(suite.get("tests", "0"))
        failures += int(suite.get("failures", "0"))
        skipped += int(suite.get("skipped", "0"))
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", "0")
    root.set("skipped", str(skipped))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(report: Report, section: Section) -> ET.Element:
    suite = ET.Element("testsuite", name=f"pvabi {report.command} {section.title}")
    entries = [e for e in section.entries if e.shown]
    cases = [_case(report, section, e) for e in entries] or [_empty(report, section)]
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(e.fails for e in entries)))
    suite.set("errors", "0")
    suite.set("skipped", str(sum(e.waived for e in entries)))
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="verdict", value=section.verdict)
    suite.extend(cases)
    return suite


def _classname(report: Report, section: Section) -> str:
    return f"pvabi.{report.command}.{section.kind}"


def _empty(report: Report, section: Section) -> ET.Element:
    case = ET.Element("testcase", classname=_classname(report, section), name=section.title)
    ET.SubElement(case, "system-out").text = section.verdict
    return case


def _case(report: Report, section: Section, e: Entry) -> ET.Element:
    f = e.finding
    where = f"{f.layout}.{f.shown_path}" if f.path else f.layout
    case = ET.Element("testcase", classname=_classname(report, section),
                      name=f"{e.info.id} {where} on {arches(f.arches)}")
    if locations(f):
        loc = f.new_loc or f.old_loc
        assert loc is not None
        case.set("file", loc.file)
        case.set("line", str(loc.line))
    text = "\n".join([f"{e.label}: {f.message}", *([f"defined: {locations(f)}"] if locations(f) else []),
                      f"backward: {f.severity_in('backward')}", f"forward: {f.severity_in('forward')}",
                      f"fix: {e.info.fix}"])
    if e.waived:
        ET.SubElement(case, "skipped", message=f"waived: {e.waiver}")
    elif e.fails:
        ET.SubElement(case, "failure", message=f"{e.label}: {f.message}", type=e.info.id).text = text
    else:
        ET.SubElement(case, "system-out").text = text
    return case
