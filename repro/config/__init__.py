"""Hydra: where the configs live and the plugin's search path (`app`), composing a run's config
(`compose`), reading overrides (`overrides`), and the checks that stop a bad config before
anything trains (`checks`). Imports records and plugins, never the packages that run."""
