"""static_eval on hostile and on ordinary module text.

Each case is the text of a module; `__version__` is evaluated as `project._python_version`
does it (`module_assignments`, then `evaluate`). Hostile modules must give `Unsupported`
without reading anything outside the module, quickly and in little memory; ordinary ones
must give exactly what Python gives when it runs the same text.
"""

from __future__ import annotations

import ast
import os
import time
import tracemalloc

import pytest

from release_guard.static_eval import Unsupported, evaluate, module_assignments

SECRET = "pypi-SECRETTOKEN-do-not-print"

NAMEDTUPLE = (
    "import collections\n"
    "V = collections.namedtuple('V', 'a')\n"
)
PYPARSING = (  # pyparsing/__init__.py, as in /work/shared/corpus, with the level and serial to fill in
    "from collections import namedtuple\n"
    'version_info = namedtuple("version_info", "major minor micro release_level serial")\n'
    "__version_info__ = version_info(3, 3, 3, {level!r}, {serial})\n"
    '__version__ = "{{}}.{{}}.{{}}".format(*__version_info__[:3]) + (\n'
    '    "{{}}{{}}{{}}".format(\n'
    '        "r" if __version_info__.release_level[0] == "c" else "",\n'
    "        __version_info__.release_level[0],\n"
    "        __version_info__.serial,\n"
    "    ),\n"
    '    "",\n'
    ')[__version_info__.release_level == "final"]\n'
)


def version_of(source: str) -> str:
    """`__version__` of a module text, read the way release-guard reads it."""
    assignments = module_assignments(ast.parse(source))
    return evaluate(assignments["__version__"], assignments)


def tower(levels: int) -> str:
    """a0 is ten characters, and each level is a tuple of ten references to the one below:
    cheap to build, 10**levels characters to print."""
    lines = ["a0 = 'xxxxxxxxxx'\n"]
    lines += [f"a{i} = ({', '.join([f'a{i - 1}'] * 10)})\n" for i in range(1, levels + 1)]
    return "".join(lines)


def doubling(levels: int, start: str) -> str:
    """d0 = start, and each level is the one below added to itself."""
    lines = [f"d0 = {start}\n"] + [f"d{i} = d{i - 1} + d{i - 1}\n" for i in range(1, levels + 1)]
    return "".join(lines)


def refused(source: str) -> Unsupported:
    with pytest.raises(Unsupported) as caught:
        version_of(source)
    return caught.value


# -- ordinary modules -------------------------------------------------------------------

LEGITIMATE = {  # id: (module text, __version__)
    "format-star": ('VERSION = (1, 2, 3)\n__version__ = "{}.{}.{}".format(*VERSION)\n', "1.2.3"),
    "format-numbered": ('VERSION = (1, 2, 3)\n__version__ = "{0}.{1}.{2}".format(*VERSION)\n', "1.2.3"),
    "format-keywords": ('__version__ = "{major}.{minor}".format(major=4, minor="5rc1")\n', "4.5rc1"),
    "format-escaped-braces": ('__version__ = "{{}}{}".format(1)\n', "{}1"),
    "join-map": ('VERSION = (1, 2, 3)\n__version__ = ".".join(map(str, VERSION))\n', "1.2.3"),
    "join-map-negative-slice": ('V = [1, 2, 3, "dev"]\n__version__ = ".".join(map(str, V[:-1]))\n', "1.2.3"),
    "percent-tuple": ('VERSION = (1, 2, 3)\n__version__ = "%d.%d.%d" % VERSION\n', "1.2.3"),
    "percent-mixed": ('__version__ = "%s.post%d%%" % ("1.0", 2)\n', "1.0.post2%"),
    "percent-single": ('BASE = "2.0"\n__version__ = "%s" % BASE\n', "2.0"),
    "fstring": ('MAJOR = 1\nMINOR = 2\n__version__ = f"{MAJOR}.{MINOR}"\n', "1.2"),
    "pyparsing-final": (PYPARSING.format(level="final", serial=0), "3.3.3"),
    "pyparsing-candidate": (PYPARSING.format(level="candidate", serial=2), "3.3.3rc2"),
    "namedtuple-keywords": ("import collections\nV = collections.namedtuple('V', ['major', 'minor'])\n"
                            "v = V(minor=7, major=6)\n__version__ = f'{v.major}.{v.minor}'\n", "6.7"),
    "namedtuple-str": (NAMEDTUPLE + "__version__ = str(V(1))\n", "V(a=1)"),
    "slices": ('VERSION = (1, 2, 3, "beta")\n__version__ = "%s.%s" % VERSION[:2] + VERSION[3][0]\n', "1.2b"),
    "conditional": ('DEV = True\n__version__ = "1.0.dev0" if DEV else "1.0"\n', "1.0.dev0"),
    "conditional-in": ('L = "final"\n__version__ = "1.0" + ("" if L in ("final",) else "a1")\n', "1.0"),
    "str-methods": ('__version__ = " V1.0 ".strip().lower().replace("v", "", 1)\n', "1.0"),
    "int": ('BUILD = "41"\n__version__ = "1.0." + str(int(BUILD) + 1)\n', "1.0.42"),
    "str-of-list-and-tuple": ("V = [1, 2]\n__version__ = str(V) + str(tuple(V))\n", "[1, 2](1, 2)"),
    "map-is-consumed-once": ('V = (1, 2)\nparts = map(str, V)\n'
                             '__version__ = ".".join(parts) + "/" + ".".join(parts)\n', "1.2/"),
}
LEGITIMATE_PARAMS = [pytest.param(*case, id=name) for name, case in LEGITIMATE.items()]


@pytest.mark.parametrize(("source", "expected"), LEGITIMATE_PARAMS)
def test_ordinary_module(source: str, expected: str) -> None:
    assert version_of(source) == expected


@pytest.mark.parametrize(("source", "expected"), LEGITIMATE_PARAMS)
def test_ordinary_module_agrees_with_python(source: str, expected: str) -> None:
    """These module texts are written here, so running them is safe: Python is the reference."""
    namespace: dict[str, object] = {}
    exec(compile(source, "<case>", "exec"), namespace)  # noqa: S102
    assert namespace["__version__"] == expected


# -- S1: reading the process through a format string ------------------------------------

LEAKS = {  # id: module text
    "probe-format-globals": NAMEDTUPLE + "__version__ = '{0._make.__func__.__globals__[_sys].modules[os]"
                            ".environ[TWINE_PASSWORD]}'.format(V(1))\n",
    "format-keyword-attr": NAMEDTUPLE + "__version__ = '{v._make.__globals__}'.format(v=V(1))\n",
    "format-dunder-of-str": "__version__ = '{0.__class__.__mro__}'.format('x')\n",
    "format-index": NAMEDTUPLE + "__version__ = '{0[0]}'.format(V(1))\n",
    "format-through-map": NAMEDTUPLE + "__version__ = ''.join(map('{0._make.__globals__}'.format, [V(1)]))\n",
    "format-method-in-a-name": NAMEDTUPLE + "f = '{0._asdict}'.format\n__version__ = f(V(1))\n",
    "format-conversion": "__version__ = '{!r}'.format('x')\n",
    "format-nested-spec": "__version__ = '{0:>{1}}'.format('x', 3)\n",
    "format-of-a-class": NAMEDTUPLE + "__version__ = '{}'.format(V)\n",
    "namedtuple-make": NAMEDTUPLE + "__version__ = str(V(1)._make)\n",
    "namedtuple-asdict": NAMEDTUPLE + "__version__ = str(V(1)._asdict())\n",
    "class-underscore": NAMEDTUPLE + "__version__ = str(V._fields)\n",
    "instance-class": NAMEDTUPLE + "__version__ = str(V(1).__class__)\n",
    "str-dunder": "__version__ = 'x'.__class__.__name__\n",
    "collections-private": "import collections\n__version__ = str(collections._sys.modules)\n",
    "factory-globals": "import collections\n__version__ = str(collections.namedtuple.__globals__)\n",
    "percent-repr": NAMEDTUPLE + "__version__ = '%r' % (V(1),)\n",
    "percent-mapping-key": "__version__ = '%(TWINE_PASSWORD)s' % 'x'\n",
    "percent-width": "__version__ = '%5s' % 'x'\n",
    "fstring-conversion": NAMEDTUPLE + "__version__ = f'{V(1)!r}'\n",
    "fstring-spec": "X = 'x'\n__version__ = f'{X:>10}'\n",
    "fstring-of-a-namedtuple": NAMEDTUPLE + "__version__ = f'{V(1)}'\n",
    "import": "__version__ = str(__import__('os').environ)\n",
    "getattr": "__version__ = str(getattr('x', 'format'))\n",
    "unbound-str-format": "__version__ = ''.join(map(str.format, ('{0.__class__}',), (1,)))\n",
}


@pytest.mark.parametrize("source", [pytest.param(text, id=name) for name, text in LEAKS.items()])
def test_format_cannot_reach_the_process(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWINE_PASSWORD", SECRET)
    error = refused(source)
    assert SECRET not in f"{error} {error!r} {error.args}"
    assert os.environ["TWINE_PASSWORD"] == SECRET  # it was there to be found


# -- S6: asking for enormous values ------------------------------------------------------

BIG = "B = '" + "a" * 20_000 + "'\n"  # a 20 kB constant
LARGE = "B = '" + "a" * 900 + "'\n"  # under the 1,000-character cap, so only the operation is refused
EMPTIES = "T = (" + ", ".join(['""'] * 200) + ")\n"
BOMBS = {  # id: module text
    "tower-str": tower(12) + "__version__ = str(a12)\n",
    "tower-fstring": tower(12) + "__version__ = f'{a12}'\n",
    "tower-percent": tower(12) + "__version__ = '%s' % (a12,)\n",
    "tower-format": tower(12) + "__version__ = '{}'.format(a12)\n",
    "tower-join-map": tower(12) + "__version__ = ''.join(map(str, a12))\n",
    "tower-list": tower(12) + "__version__ = str(list(a12))\n",
    "tower-concatenate": tower(1) + "__version__ = str(" + " + ".join(["a1"] * 8) + ")\n",
    "big-join-tuple": BIG + "__version__ = B.join(tuple(B))\n",
    "big-replace": BIG + "__version__ = B.replace('a', B)\n",
    "big-repeated-format": BIG + "__version__ = ('{0}' * 500).format(B)\n",
    "large-join-tuple": LARGE + "__version__ = B.join(tuple(B))\n",
    "large-join": LARGE + "__version__ = B.join(B)\n",
    "large-replace": LARGE + "__version__ = B.replace('a', B)\n",
    "large-format": LARGE + "__version__ = '" + "{0}" * 300 + "'.format(B)\n",
    "large-percent": LARGE + "__version__ = '" + "%s" * 300 + "' % (" + "B, " * 300 + ")\n",
    "large-fstring": LARGE + "__version__ = f'" + "{B}" * 300 + "'\n",
    "string-doubling": doubling(12, "'ab'") + "__version__ = d12\n",
    "int-doubling": doubling(12, str(2**120)) + "__version__ = str(d12)\n",
    "repeat-operator": "__version__ = 'x' * 10**10\n",
    "power": "__version__ = str(9**9**9)\n",
    "wide-tuple": "__version__ = str((" + "0, " * 20_000 + "))\n",
    "many-nodes": "E = ''\n__version__ = f'" + "{E}" * 11_000 + "'\n",
    "many-calls": EMPTIES + "__version__ = f'" + '{"".join(map(str, T))}' * 500 + "'\n",
    "many-namedtuples": "import collections\n" + "".join(
        f"V{i} = collections.namedtuple('V', 'a b c d e')\n" for i in range(200))
        + "__version__ = str((" + ", ".join(f"V{i}(1, 2, 3, 4, 5)[0]" for i in range(200)) + "))\n",
    "deep-nesting": "__version__ = " + "(" * 150 + "'1'" + ")[0]" * 150 + "\n",
    "name-cycle": "a = b + '1'\nb = a + '1'\n__version__ = a\n",
}


@pytest.mark.parametrize("source", [pytest.param(text, id=name) for name, text in BOMBS.items()])
def test_enormous_values_are_refused_quickly(source: str) -> None:
    assignments = module_assignments(ast.parse(source))
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(Unsupported):
            evaluate(assignments["__version__"], assignments)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0  # each takes milliseconds; the probe's took 10 s and 1.5 GB
    assert peak < 5_000_000


@pytest.mark.parametrize(("source", "expected"), [
    pytest.param("__version__ = '" + "x" * 1000 + "'\n", "x" * 1000, id="string-at-the-cap"),
    pytest.param(tower(1) + "__version__ = str(a1)\n", str(("x" * 10,) * 10), id="small-tower"),
    pytest.param(doubling(8, "'ab'") + "__version__ = d8\n", "ab" * 256, id="doubling-below-the-cap"),
    pytest.param("__version__ = str(" + str(2**128 - 1) + ")\n", str(2**128 - 1), id="int-at-the-cap"),
])
def test_values_up_to_the_caps_are_evaluated(source: str, expected: str) -> None:
    assert version_of(source) == expected


@pytest.mark.parametrize("source", [
    pytest.param("__version__ = '" + "x" * 1001 + "'\n", id="string-over-the-cap"),
    pytest.param(doubling(9, "'ab'") + "__version__ = d9\n", id="doubling-over-the-cap"),
    pytest.param("__version__ = str(" + str(2**128) + ")\n", id="int-over-the-cap"),
])
def test_values_over_the_caps_are_refused(source: str) -> None:
    refused(source)
