"""Joy flow records from Python, through libjoy.so (ctypes).

    import libjoy
    for flow in libjoy.flows("capture.pcap", bidir=True):
        ...
    df = libjoy.to_dataframe("capture.pcap", bidir=True, dist=True)
"""
from ._lib import JoyError, config, flows, library_version
from ._frame import to_dataframe

__all__ = ["JoyError", "config", "flows", "library_version", "to_dataframe"]
__version__ = "2.1.0"
