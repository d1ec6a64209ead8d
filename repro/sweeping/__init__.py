"""Many runs: the plan of a sweep (`plan`), its launchers (`launch`), workers (`jobs`) and
progress under Hydra's launchers (`watch`), and
`seeds=auto` (`auto_seeds`, `two_stage`, `stages`). Imports running for each job."""
