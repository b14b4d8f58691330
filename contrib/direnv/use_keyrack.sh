# use_keyrack: load an owner's unlocked keys of one env into a direnv environment.
#
# Install: add one line to ~/.config/direnv/direnvrc (keyrack's install puts this file in
# share/keyrack/direnv/use_keyrack.sh):
#     source /path/to/use_keyrack.sh
# Use, in a project's .envrc (arguments are those of `keyrack source`):
#     use keyrack --env test                    # every key the repo's .agent/keyrack.yml lists
#     use keyrack --for seaturtle --env prod --key GITHUB_TOKEN
#
# Nothing is decrypted here and nothing prompts: the keys come from the owner's daemon, so run
# `keyrack unlock --env ENV` first. When a key is locked, keyrack's own one-line error (with the
# command that fixes it) is shown and the env is left unchanged.
use_keyrack() {
  local exports
  if ! exports=$(keyrack source "$@"); then
    log_error "use keyrack $*: not loaded (see keyrack's message above)"
    return 1
  fi
  eval "$exports"
}
