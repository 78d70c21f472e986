# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tpx.LineProtocol from Python: do_line_received (every fd) and Twisted's
lineReceived (standard output), str lines, "\\r\\n", invalid UTF-8,
overlong lines, the last line at end of file, the signal before the
virtual method (the parity of tests/test-line-protocol.c)."""

from tpxtest import GLib, Tpx, helper_argv, helper_path, run_until


def feed(protocol, child_fd, data):
    """One read of @data from @child_fd, as the transport delivers it."""
    Tpx.LineProtocol.do_child_data_received(protocol, child_fd,
                                            GLib.Bytes.new(data))


def feed_eof(protocol, child_fd):
    Tpx.LineProtocol.do_child_connection_lost(protocol, child_fd)


class EveryFd(Tpx.LineProtocol):
    def __init__(self):
        super().__init__()
        self.lines = []
        self.ended = False

    def do_line_received(self, child_fd, line):
        self.lines.append((child_fd, line))

    def processEnded(self, reason):
        self.ended = True


class Twisted(Tpx.LineProtocol):
    def __init__(self):
        self.calls = []
        self.ended = False

    def lineReceived(self, line):
        self.calls.append(line)

    def outReceived(self, data):
        self.calls.append(data)

    def outConnectionLost(self):
        self.calls.append("outConnectionLost")

    def processEnded(self, reason):
        self.ended = True


def test_do_line_received_every_fd():
    protocol = EveryFd()
    feed(protocol, 1, b"out one\nout ")
    feed(protocol, 2, b"err\r\n")
    feed(protocol, 3, b"three\n")
    feed(protocol, 1, b"two\n")
    assert protocol.lines == [(1, "out one"), (2, "err"), (3, "three"),
                              (1, "out two")]
    assert all(isinstance(line, str) for _, line in protocol.lines)


def test_line_received_is_standard_output():
    protocol = Twisted()
    feed(protocol, 1, b"a\nb")
    feed(protocol, 2, b"not a stdout line\n")
    feed(protocol, 1, b"c\n")
    feed_eof(protocol, 1)
    # Lines first, then the raw bytes (outReceived is still called).
    assert protocol.calls == ["a", b"a\nb", "bc", b"c\n", "outConnectionLost"]


def test_invalid_utf8_is_replaced():
    protocol = EveryFd()
    feed(protocol, 1, b"caf\xc3\xa9\nbad \xff byte\nnul\x00\n")
    feed(protocol, 1, b"\xe2\x82")
    feed(protocol, 1, b"\xac split\n")
    assert [line for _, line in protocol.lines] == [
        "caf\u00e9", "bad \ufffd byte", "nul\ufffd", "\u20ac split"]


def test_overlong_lines_in_pieces():
    protocol = EveryFd()
    assert protocol.props.max_line_length == 65536
    protocol.set_max_line_length(4)
    assert protocol.get_max_line_length() == 4
    feed(protocol, 1, b"abcdefghij\nab")
    feed(protocol, 1, b"c\xe2\x82\xac\n")
    assert [line for _, line in protocol.lines] == [
        "abcd", "efgh", "ij", "abc", "\u20ac"]


def test_signal_before_virtual_method():
    order = []

    class Ordered(Tpx.LineProtocol):
        def do_line_received(self, child_fd, line):
            order.append("vfunc " + line)

    protocol = Ordered()
    protocol.connect("line-received",
                     lambda p, fd, line: order.append("signal " + line))
    feed(protocol, 1, b"x\ny\n")
    assert order == ["signal x", "vfunc x", "signal y", "vfunc y"]


def test_plain_subclass_has_no_python_vfunc():
    """A subclass that defines no line method leaves the C default: no
    Python call per line."""
    class Plain(Tpx.LineProtocol):
        def outReceived(self, data):
            pass

    class Sub(Twisted):
        pass

    assert "do_line_received" not in Plain.__dict__
    assert "do_line_received" in Twisted.__dict__
    seen = []
    Sub.lineReceived = lambda self, line: seen.append(line)
    protocol = Sub()
    feed(protocol, 1, b"inherited\n")
    assert seen == ["inherited"]


def test_lines_from_a_child():
    protocol = Twisted()
    transport = Tpx.spawn_process(protocol, helper_path(), helper_argv("echo"))

    protocol.sendLine(b"first")
    transport.write(b"sec")
    run_until(lambda: "first" in protocol.calls, what="the first line")
    transport.write(b"ond\r\nno newline")
    run_until(lambda: "second" in protocol.calls, what="the second line")
    transport.closeStdin()
    run_until(lambda: protocol.ended, what="processEnded")

    lines = [c for c in protocol.calls if isinstance(c, str)]
    assert lines == ["first", "second", "no newline", "outConnectionLost"]


def test_ten_megabytes_of_lines():
    count = [0]

    class Counting(Tpx.LineProtocol):
        ended = False

        def do_line_received(self, child_fd, line):
            assert child_fd == 1
            assert line.startswith("line %d." % count[0])
            assert len(line) == 49
            count[0] += 1

        def processEnded(self, reason):
            self.ended = True

    protocol = Counting()
    Tpx.spawn_process(protocol, helper_path(), helper_argv("lines", "200000"))
    run_until(lambda: protocol.ended, timeout=60, what="processEnded")
    assert count[0] == 200000


def test_exception_in_line_received_logged(capfd):
    class Raising(Twisted):
        def lineReceived(self, line):
            Twisted.lineReceived(self, line)
            raise ValueError("raised by lineReceived")

    protocol = Raising()
    Tpx.spawn_process(protocol, helper_path(),
                      helper_argv("write-out", "one\ntwo\n"))
    run_until(lambda: protocol.ended, what="processEnded")
    assert [c for c in protocol.calls if isinstance(c, str)] == [
        "one", "two", "outConnectionLost"]
    assert "raised by lineReceived" in capfd.readouterr().err


def test_library_classes_keep_their_virtual_methods():
    """Twisted's bridges go into application classes only: the classes
    PyGObject makes for Tpx's own types and for C subclasses (such as the
    process monitor's protocol) keep their C virtual methods."""
    for cls in (Tpx.ProcessProtocol, Tpx.LineProtocol):
        for klass in cls.__mro__:
            bridges = [name for name, value in vars(klass).items()
                       if getattr(value, "_tpx_twisted_bridge", False)]
            assert bridges == [], (klass, bridges)
