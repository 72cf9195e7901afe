"""The command-line front end: parse options, call the library, present results."""
