"""Many runs: the plan of a sweep (`plan`), its launchers (`launch`) and workers (`jobs`), and
`seeds=auto` (`auto_seeds`, `two_stage`, `stages`). Imports running for each job."""
