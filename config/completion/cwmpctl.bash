# bash completion for cwmpctl (installed as /usr/share/bash-completion/completions/cwmpctl).
# Commands and options come from this file; parameter and object paths come from the
# running agent: each '.' level is one `cwmpctl names PATH --next-level` on the same bus
# the command line names (--system, --session, --address ADDRESS).

# The names one level below the object path $1 ("" for the root), one per line.
_cwmpctl_names() {
	local program=$1 parent=$2
	shift 2
	"$program" "$@" names "$parent" --next-level 2>/dev/null | while read -r name _; do
		printf '%s\n' "$name"
	done
}

_cwmpctl() {
	local cur=${COMP_WORDS[COMP_CWORD]}
	local program=${COMP_WORDS[0]}
	local commands="get set names attrs setattr add del inform schedule-inform request-download kicked du-install du-update du-uninstall status monitor ping traceroute nslookup help"
	local options="--system --session --address --json --help"
	local bus=() command="" nargs=0 i word
	for ((i = 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		case $word in
		--system | --session) bus+=("$word") ;;
		--address)
			bus+=(--address "${COMP_WORDS[i + 1]}")
			((i++))
			;;
		-* | =) ;;
		*)
			if [[ -z $command ]]; then
				command=$word
			else
				((nargs++))
			fi
			;;
		esac
	done
	COMPREPLY=()
	# A D-Bus address, or a value after "PATH=": nothing to offer.
	[[ ${COMP_WORDS[COMP_CWORD - 1]} == --address ]] && return 0
	[[ $cur == = || ${COMP_WORDS[COMP_CWORD - 1]} == = ]] && return 0
	if [[ -z $command ]]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
		fi
		return 0
	fi

	local want  # which paths: params (parameters and objects), objects, none
	case $command in
	get | attrs | names) want=params ;;
	set) want=params ;;
	setattr) ((nargs == 0)) && want=params || want=none ;;
	add | del) ((nargs == 0)) && want=objects || want=none ;;
	*) want=none ;;
	esac
	if [[ $cur == -* ]]; then
		case $command in
		names) mapfile -t COMPREPLY < <(compgen -W "--next-level" -- "$cur") ;;
		monitor) mapfile -t COMPREPLY < <(compgen -W "--count" -- "$cur") ;;
		esac
		return 0
	fi
	[[ $want == none ]] && return 0

	# The object the word is in: up to its last '.'.
	local parent=""
	[[ $cur == *.* ]] && parent=${cur%.*}.
	local name
	while IFS= read -r name; do
		[[ $name == "$cur"* ]] || continue
		if [[ $name == *. ]]; then
			COMPREPLY+=("$name")
		elif [[ $want == params ]]; then
			[[ $command == set ]] && name+="="
			COMPREPLY+=("$name")
		fi
	done < <(_cwmpctl_names "$program" "$parent" "${bus[@]}")
	# An object path goes on ("Device.WiFi." then its children); so does "PATH=".
	if [[ ${#COMPREPLY[@]} -eq 1 && ( ${COMPREPLY[0]} == *. || ${COMPREPLY[0]} == *= ) ]]; then
		compopt -o nospace 2>/dev/null
	elif [[ ${#COMPREPLY[@]} -gt 1 ]]; then
		compopt -o nospace 2>/dev/null
	fi
	return 0
}
complete -F _cwmpctl cwmpctl
