"""pyx12's maps for ASC X12 005010X279A1 (the HIPAA 270/271 of today).

pyx12 4.0.0 validates and parses against XML maps of each implementation guide, but it ships
the 270/271 only for the retired 004010X092A1 guide (the 005010X279A1 lines of its maps.xml
are commented out). The 5010 guide keeps the 4010 loops and segments that carematch sends and
reads. What changed for them: the envelope (GS08 and ST03 name 005010X279A1; ISA12 is 00501,
whose control segments pyx12 does know), the inquiry's date (the plan date, DTP qualifier 291),
and the service type codes 5010 added (MH, mental health, among them). So the 5010 maps are
made from pyx12's own 4010 maps by exactly those changes, written once a process to a folder
beside copies of pyx12's other files, and pyx12 then does all the work: no loop or segment is
written out here.
"""

from __future__ import annotations

import copy
import functools
import tempfile
import xml.etree.ElementTree as ET
from importlib.resources import files
from pathlib import Path

GUIDE = "005010X279A1"
_SOURCES = {"270": ("HS", "270.4010.X092.A1.xml"), "271": ("HB", "271.4010.X092.A1.xml")}
SERVICE_TYPES_ADDED_IN_5010 = (
    "BT", "BU", "BV", "BW", "BX", "BY", "BZ", "C1", "CA", "CB", "CC", "CD", "CE", "CF", "CG", "CH", "CI", "CJ",
    "CK", "CL", "CM", "CN", "CO", "CP", "CQ", "DG", "DM", "DS", "GF", "GN", "GY", "IC", "MH", "NI", "ON", "PT",
    "PU", "RN", "RT", "TC", "TN", "UC",
)
_COPIED = ("codes.xml", "dataele.xml", "x12.control.00501.xml", "x12.control.00401.xml")


def map_name(transaction: str) -> str:
    return f"{transaction}.5010.X279.A1.xml"


def _element(xid: str, data_ele: str, name: str, seq: str, code: str) -> ET.Element:
    element = ET.Element("element", {"xid": xid})
    for tag, text in (("data_ele", data_ele), ("name", name), ("usage", "R"), ("seq", seq)):
        ET.SubElement(element, tag).text = text
    codes = ET.SubElement(element, "valid_codes")
    ET.SubElement(codes, "code").text = code
    return element


def _to_5010(root: ET.Element, transaction: str) -> ET.Element:
    root = copy.deepcopy(root)
    name = root.find("name")
    if name is not None:
        name.text = f"HIPAA Health Care Eligibility {transaction} {GUIDE}"
    gs08 = root.find(".//segment[@xid='GS']/element[@xid='GS08']/valid_codes")
    st = root.find(".//segment[@xid='ST']")
    if gs08 is None or st is None:
        raise RuntimeError("pyx12's 4010 eligibility map has changed shape: GS08 or ST is missing")
    for code in list(gs08):
        gs08.remove(code)
    ET.SubElement(gs08, "code").text = GUIDE
    # ST03, the Implementation Convention Reference, is new in 5010 and must name the guide.
    st.append(_element("ST03", "1705", "Implementation Convention Reference", "03", GUIDE))
    # 5010 dates an inquiry by the plan date (qualifier 291) where 4010 used 307/472.
    if transaction == "270":
        for loop in ("2100C", "2100D", "2110C", "2110D"):
            codes = root.find(f".//loop[@xid='{loop}']/segment[@xid='DTP']/element[@xid='DTP01']/valid_codes")
            if codes is None:
                raise RuntimeError(f"pyx12's 4010 270 map has no DTP01 in {loop}")
            if not any(code.text == "291" for code in codes):
                ET.SubElement(codes, "code").text = "291"
    # Service type codes (element 1365) that 5010 added to 4010's list, MH among them.
    service_types = [("270", "EQ", "EQ01"), ("271", "EB", "EB03")]
    for owner, segment, element in service_types:
        if owner != transaction:
            continue
        for loop in ("2110C", "2110D"):
            codes = root.find(f".//loop[@xid='{loop}']/segment[@xid='{segment}']/element[@xid='{element}']/valid_codes")
            if codes is None:
                raise RuntimeError(f"pyx12's 4010 {transaction} map has no {element} in {loop}")
            known = {entry.text for entry in codes}
            for added in SERVICE_TYPES_ADDED_IN_5010:
                if added not in known:
                    ET.SubElement(codes, "code").text = added
    return root


@functools.lru_cache(maxsize=1)
def map_path() -> str:
    """A folder holding pyx12's maps plus the 005010X279A1 270 and 271, made once a process."""
    source = files("pyx12").joinpath("map")
    folder = Path(tempfile.mkdtemp(prefix="carematch-x12-maps-"))
    for name in _COPIED:
        (folder / name).write_bytes(source.joinpath(name).read_bytes())
    index = ET.fromstring(source.joinpath("maps.xml").read_bytes())  # noqa: S314 - pyx12's own file
    version = index.find("version[@icvn='00501']")
    if version is None:
        raise RuntimeError("pyx12's maps.xml has no 00501 version")
    for transaction, (functional_id, source_name) in _SOURCES.items():
        root = ET.fromstring(source.joinpath(source_name).read_bytes())  # noqa: S314 - pyx12's own file
        ET.ElementTree(_to_5010(root, transaction)).write(folder / map_name(transaction), encoding="utf-8",
                                                          xml_declaration=True)
        entry = ET.SubElement(version, "map", {"vriic": GUIDE, "fic": functional_id, "abbr": transaction})
        entry.text = map_name(transaction)
    ET.ElementTree(index).write(folder / "maps.xml", encoding="utf-8", xml_declaration=True)
    return str(folder)
