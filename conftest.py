"""Loads the tripwire pytest plugin for this repository's own test run.

The plugin's ``pytest11`` entry point is loaded before coverage starts, which would leave the
package's import unmeasured. ``addopts`` disables the entry point (``-p no:tripwire``) and this file
loads the same plugin once coverage is running. Users' projects get it from the entry point.
"""

pytest_plugins = ["pytester", "tripwire.pytest_plugin"]
