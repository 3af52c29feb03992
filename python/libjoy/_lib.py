"""ctypes bindings of libjoy.so and libpcap: read a source into records."""
import ctypes
import ctypes.util
import json
import os
import shutil
import tempfile
import threading
import time

SONAME = "libjoy.so.2"

# joy_init.bitmask bits (include/joy_api.h).
BITS = {
    "bidir": 0x01, "dns": 0x02, "ssh": 0x04, "tls": 0x08, "dhcp": 0x10, "http": 0x20, "ike": 0x40,
    "payload": 0x80, "exe": 0x100, "zeros": 0x200, "retrans": 0x400, "dist": 0x800, "entropy": 0x1000,
    "classify": 0x2000, "hd": 0x4000,
}
JOY_EXPIRED_FLOWS, JOY_ALL_FLOWS = 0, 1
JOY_JSON_FORMAT = 1
PCAP_ERRBUF_SIZE = 256


class JoyError(Exception):
    """A source could not be read or the library refused the options."""


class _JoyInit(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("verbosity", ctypes.c_int),
        ("idp", ctypes.c_int),
        ("ipfix_host", ctypes.c_char_p),
        ("ipfix_port", ctypes.c_uint32),
        ("bitmask", ctypes.c_uint32),
    ]


_lock = threading.Lock()  # one library configuration per process
_libs = {}


def _load():
    if _libs:
        return _libs["joy"], _libs["pcap"]
    path = os.environ.get("LIBJOY_PATH") or SONAME
    try:
        joy = ctypes.CDLL(path)
    except OSError as e:
        raise JoyError(f"cannot load {path} ({e}): install libjoy (make install) or set LIBJOY_PATH") from None
    pcap_name = ctypes.util.find_library("pcap") or "libpcap.so.0.8"
    try:
        pcap = ctypes.CDLL(pcap_name)
    except OSError as e:
        raise JoyError(f"cannot load libpcap ({pcap_name}): {e}") from None
    joy.joy_initialize.argtypes = [ctypes.POINTER(_JoyInit), ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]
    joy.joy_initialize.restype = ctypes.c_int
    joy.joy_print_config.argtypes = [ctypes.c_int]
    joy.joy_print_flow_data.argtypes = [ctypes.c_uint, ctypes.c_int]
    joy.joy_cleanup.argtypes = [ctypes.c_uint]
    joy.joy_set_link_type.argtypes = [ctypes.c_uint, ctypes.c_int]
    joy.joy_set_link_type.restype = ctypes.c_int
    pcap.pcap_open_offline.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    pcap.pcap_open_offline.restype = ctypes.c_void_p
    pcap.pcap_open_live.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_char_p]
    pcap.pcap_open_live.restype = ctypes.c_void_p
    pcap.pcap_datalink.argtypes = [ctypes.c_void_p]
    pcap.pcap_datalink.restype = ctypes.c_int
    # The callback is joy_process_packet itself, so packets never pass
    # through Python.
    pcap.pcap_dispatch.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
    pcap.pcap_dispatch.restype = ctypes.c_int
    pcap.pcap_geterr.argtypes = [ctypes.c_void_p]
    pcap.pcap_geterr.restype = ctypes.c_char_p
    pcap.pcap_close.argtypes = [ctypes.c_void_p]
    _libs.update(joy=joy, pcap=pcap)
    return joy, pcap


def library_version():
    """The loaded library's file (the SONAME's major is the ABI)."""
    joy, _ = _load()
    return joy._name


def _init_struct(options):
    init = _JoyInit()
    init.type = int(options.pop("type", 1))
    init.verbosity = int(options.pop("verbosity", 4))
    init.idp = int(options.pop("idp", 0))
    if init.type not in (1, 2):
        raise JoyError(f"type={init.type}: 1 (SPLT) or 2 (SALT)")
    if not 0 <= init.verbosity <= 5:
        raise JoyError(f"verbosity={init.verbosity}: 0 to 5")
    bitmask = 0
    for name, value in options.items():
        if name not in BITS:
            raise JoyError(f"unknown option {name!r}; known: type, verbosity, idp, {', '.join(sorted(BITS))}")
        if value:
            bitmask |= BITS[name]
    init.bitmask = bitmask
    return init


def _read(source, live, packets, seconds, options, want_config):
    """Runs the library over source and returns the lines it wrote."""
    joy, pcap = _load()
    init = _init_struct(dict(options))
    out_dir = tempfile.mkdtemp(prefix="libjoy-py-")
    errbuf = ctypes.create_string_buffer(PCAP_ERRBUF_SIZE)
    with _lock:
        try:
            if joy.joy_initialize(ctypes.byref(init), (out_dir + "/").encode(), b"flows.json", None) != 0:
                raise JoyError("joy_initialize failed (see the log on stderr)")
            if want_config:
                joy.joy_print_config(JOY_JSON_FORMAT)
            if source is not None:
                if live:
                    handle = pcap.pcap_open_live(source.encode(), 65535, 1, 100, errbuf)
                else:
                    handle = pcap.pcap_open_offline(os.fsencode(source), errbuf)
                if not handle:
                    joy.joy_cleanup(0)
                    raise JoyError(f"{source}: {errbuf.value.decode(errors='replace')}")
                try:
                    joy.joy_set_link_type(0, pcap.pcap_datalink(handle))
                    callback = ctypes.cast(joy.joy_process_packet, ctypes.c_void_p)
                    seen, start = 0, time.monotonic()
                    while True:
                        n = pcap.pcap_dispatch(handle, 20, callback, None)
                        if n < 0:
                            raise JoyError(f"{source}: {pcap.pcap_geterr(handle).decode(errors='replace')}")
                        joy.joy_print_flow_data(0, JOY_EXPIRED_FLOWS)
                        seen += n
                        if not live and n == 0:
                            break
                        if live and ((packets is not None and seen >= packets) or
                                     (seconds is not None and time.monotonic() - start >= seconds)):
                            break
                finally:
                    pcap.pcap_close(handle)
                joy.joy_print_flow_data(0, JOY_ALL_FLOWS)
            joy.joy_cleanup(0)  # flushes the output
            with open(os.path.join(out_dir, "flows.json"), encoding="utf-8") as f:
                return f.read().splitlines()
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)


def flows(source, live=False, packets=None, seconds=None, **options):
    """Yields the flow records (dicts) of a capture file, or of an interface with live=True."""
    if live and packets is None and seconds is None:
        raise JoyError("a live read needs packets= or seconds=")
    for line in _read(source, live, packets, seconds, options, False):
        if line:
            yield json.loads(line)


def config(**options):
    """The configuration record the library prints for these options."""
    for line in _read(None, False, None, None, options, True):
        rec = json.loads(line)
        if "end-config" in rec:
            return rec
    raise JoyError("no configuration record")
