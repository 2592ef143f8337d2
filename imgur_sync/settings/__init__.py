"""Settings: the config file and the values people write in it.

- ``config.py``: the TOML file parsed once into frozen dataclasses (:class:`Config`);
- ``checks.py``: the checks and messages each key goes through;
- ``durations.py`` and ``sizes.py``: ``"1h30m"`` and ``"200MB"``, read and written back.

Standard library only (and the package's errors and paths), so it is cheap to import.
"""

from __future__ import annotations

from .config import (
    Config,
    ConfigError,
    ImgurConfig,
    MirrorConfig,
    ScheduleConfig,
    UploadConfig,
    load_config,
    mask_secret,
)
from .durations import format_duration, parse_duration
from .sizes import format_size, parse_size

__all__ = ["Config", "ConfigError", "ImgurConfig", "MirrorConfig", "ScheduleConfig",
           "UploadConfig", "format_duration", "format_size", "load_config", "mask_secret",
           "parse_duration", "parse_size"]
