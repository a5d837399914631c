"""Record real traffic into a scenario file (``fakeopenai record``, ``fakeopenai import-cassette``).

* :mod:`.exchange` - one request and its answer, as the proxy saw it or a cassette holds it;
* :mod:`.convert` - exchanges to a scenario (each API family's converter is its ``Family.recorder``);
* :mod:`.proxy` - the recording proxy (bare ASGI) and :mod:`.upstream`, its HTTP/1.1 client;
* :mod:`.cassette` - vcrpy / pytest-recording cassettes to exchanges.
"""

from fakeopenai.record.convert import ConvertOptions, recording, scenario_from, scenario_yaml, write_recording
from fakeopenai.record.exchange import Exchange

__all__ = ["ConvertOptions", "Exchange", "recording", "scenario_from", "scenario_yaml", "write_recording"]
