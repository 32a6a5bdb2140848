"""`toolkit completion bash|zsh|fish`: the shell's completion script, printed (click writes it; this names it)."""

from __future__ import annotations

import click

from .failures import handles_errors


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@handles_errors
def completion(shell):
    """Print the completion script for SHELL. Bash: `eval "$(toolkit completion bash)"` in ~/.bashrc; zsh the same
    in ~/.zshrc; fish: `toolkit completion fish > ~/.config/fish/completions/toolkit.fish`."""
    from click.shell_completion import get_completion_class

    root = click.get_current_context().find_root()
    script = get_completion_class(shell)(root.command, {}, "toolkit", "_TOOLKIT_COMPLETE")
    click.echo(script.source())


COMMANDS = (completion,)
