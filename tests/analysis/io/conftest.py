"""Shared fixtures for the raw-file reader tests: real data folder and synthetic files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).parents[3] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real instrument files (../shared/data relative to the repo)."""
    if not SHARED.is_dir():
        pytest.skip(f"REAL DATA MISSING: {SHARED.resolve()} not found; the reader tests "
                    "against real instrument files cannot run")
    return SHARED


def _reference_spectrum(freq_hz: np.ndarray) -> np.ndarray:
    """Impedance of 100 Ω + (200 Ω ∥ 0.8 µF) + (500 Ω ∥ Warburg Y=4e-4 S·s^0.5, n=0.5).

    Independent reference for the pyimpspec files (computed from the circuit, not read).
    """
    jw = 2j * np.pi * np.asarray(freq_hz, dtype=float)
    z_rc = 1.0 / (1.0 / 200.0 + jw * 0.8e-6)
    y_w = 4e-4 * jw ** 0.5
    z_rw = 1.0 / (1.0 / 500.0 + y_w)
    return 100.0 + z_rc + z_rw


CHI_EIS_HEADER = """Feb. 20, 2020   15:55:08
A.C. Impedance
File: c:\\data\\cell1.bin
Data Source:  Experiment
Instrument Model:  CHI660E
Header: 
Note: 

Init E (V) = 0
High Frequency (Hz) = 1e+5
Low Frequency (Hz) = 1
Imp SF
Amplitude (V) = 0.01
Quiet Time (sec) = 2
Cycles (.1-1Hz) = 1

Freq/Hz, Z'/ohm, Z"/ohm, Z/ohm, Phase/deg

"""
# rows start on line 19
CHI_EIS_ROWS = [
    "1.000e+5, 1.000e+2, -1.000e+0, 1.000e+2, -0.6",
    "1.000e+4, 1.100e+2, -2.000e+1, 1.118e+2, -10.3",
    "1.000e+3, 2.000e+2, -9.000e+1, 2.193e+2, -24.2",
    "1.000e+2, 3.000e+2, -5.000e+1, 3.041e+2, -9.5",
    "1.000e+1, 3.500e+2, -3.000e+1, 3.513e+2, -4.9",
]
CHI_FIRST_ROW_LINE = 19

CHI_LSV = """Oct. 10, 2023   10:00:00
Linear Sweep Voltammetry
File: c:\\data\\lsv.bin
Data Source:  Experiment
Instrument Model:  CHI760E
Header: 
Note: 

Init E (V) = 2.5
Final E (V) = 2.56
Scan Rate (V/s) = 0.001
Sample Interval (V) = 0.01
Quiet Time (sec) = 2
Sensitivity (A/V) = 1e-5

Potential/V, Current/A

2.500, 1.000e-9
2.510, 1.500e-9
2.520, 2.000e-9
2.530, 4.000e-9
2.540, 9.000e-9
2.550, 2.000e-8
2.560, 5.000e-8
"""

CHI_IT = """Oct. 11, 2023   09:30:00
Amperometric i-t Curve
File: c:\\data\\it.bin
Data Source:  Experiment
Instrument Model:  CHI760E
Header: 
Note: 

Init E (V) = 0.01
Sample Interval (s) = 0.1
Run Time (sec) = 0.5
Quiet Time (sec) = 0
Scales during Run = 1
Sensitivity (A/V) = 1e-6

Time/sec, Current/A

0.0, 1.000e-5
0.1, 8.000e-6
0.2, 7.000e-6
0.3, 6.500e-6
0.4, 6.200e-6
0.5, 6.100e-6
"""


def _write(path: Path, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    """Write ``text`` with the given encoding and newline convention."""
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


@pytest.fixture
def write():
    """``write(path, text, encoding="utf-8", newline="\\n") -> path``."""
    return _write


@pytest.fixture(scope="session")
def reference_spectrum():
    """``reference_spectrum(freq_hz) -> complex Z`` of the pyimpspec circuit."""
    return _reference_spectrum


@pytest.fixture
def chi_lsv_text() -> str:
    """Synthetic CHI Linear Sweep Voltammetry export (7 points, 1 mV/s)."""
    return CHI_LSV


@pytest.fixture
def chi_it_text() -> str:
    """Synthetic CHI Amperometric i-t Curve export (6 points at 0.01 V)."""
    return CHI_IT


@pytest.fixture
def chi_eis_text() -> str:
    """A small synthetic CHI A.C. Impedance export (header copied in style from CHI660E)."""
    return CHI_EIS_HEADER + "\n".join(CHI_EIS_ROWS) + "\n"
