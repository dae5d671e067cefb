"""Words the identifier check treats as data: who a person is to the child, and the
capitalised words that follow such a word without being a name ("Mother: Declined",
"Dad: Police are aware", "Mum is Polish").
"""

from __future__ import annotations

# Who someone is to the child or the case, as caseworkers write it (a regex alternation).
RELATIONS = (
    r"child|children|kids?|mother|mum|mom|mam|mummy|father|dad|daddy|parents?|carers?"
    r"|foster\s+carers?|young\s+person|yp|baby|babies|infant|siblings?|brothers?|sisters?"
    r"|half[-\s]?(?:brother|sister)|step[-\s]?(?:father|mother|dad|mum|brother|sister|son|daughter)"
    r"|grand(?:mother|father|ma|pa|parents?|son|daughter|dad)|nan|nana|nanna|nanny|gran|granny"
    r"|aunt|auntie|aunty|uncle|cousin|niece|nephew|partner|boyfriend|girlfriend|husband|wife"
    r"|ex[-\s]?(?:partner|husband|wife)|son|daughter|pupil|patient|student|subject|victim"
    r"|alleged\s+perpetrator|perpetrator|suspect|lodger|friend|neighbour"
)



def _leading_letters(alternation: str) -> tuple[str, ...]:
    """The literal letters each top-level alternative starts with ("step[-\\s]?(…)" -> "step")."""
    alternatives, depth, current = [], 0, ""
    for char in alternation:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            alternatives.append(current)
            current = ""
        else:
            current += char
    alternatives.append(current)
    leads = []
    for alternative in alternatives:
        lead = ""
        for char in alternative:
            if not char.isalpha():
                break
            lead += char
        leads.append(lead[:-1] if len(alternative) > len(lead) and alternative[len(lead)] == "?" else lead)
    return tuple(sorted({lead.lower() for lead in leads if lead}))


# A word can start a relation only if it starts with one of these: a cheap test that
# spares running the relation patterns at every word.
RELATION_STARTS: tuple[str, ...] = _leading_letters(RELATIONS)

_FUNCTION = """
a an the this that these those he she they it his her hers their theirs its we us our ours i me my
mine you your yours who whom whose which what when where why how not no nor yes and or but if then
so also both all some any each every either neither other another such only just very too there
here as at by for from in into of off on onto out over to under up with within without about after
before between during since until while because although though again still already now never
ever always sometimes often usually once twice one two three four five six seven eight nine ten
first second third last next new old same different own more most less least many much few
"""
_VERBS = """
is was are were be been being am has have had do does did can could will would shall should may
might must said says say told tells tell agrees agreed agree declined declines refused refuses
refuse wants wanted want asked asks reports reported rang rings called calls attended attends
attend engaged engages engaging lives lived moved moves remains remained stated states disclosed
discloses denies denied accepts accepted accept gave gives feels felt thinks thought knows knew
known works worked left leaves came comes went goes got gets needs needed seems seemed appears
appeared became becomes is has reported consented consents confirmed confirms shared shares
raised raises explained explains admitted admits alleged alleges presented presents returned
returns arrived arrives stayed stays went visits visited missed misses continues continued
struggles struggled wishes wished requested requests expressed expresses answered answers
informed informs notified advised advises supports supported uses used drinks takes took
"""
_CASEWORK = """
level levels stage stages plan plans cp cin lac cla subject consent missing known kinship special
guardianship foster fostering placement placements police school schools health social services
service family families early help referral referrals assessment assessments section threshold
concerns concern risk risks support unknown none na n/a tbc redacted withheld deceased pregnant
present absent aware protection sexual criminal exploitation forum team worker centre allowance
benefit benefits care minded led focused order orders plan court legal proceedings open closed
case cases record records details information info address home house flat property room
attendance attending absence education medical mental physical emotional neglect abuse harm
domestic violence incident incidents concerns worries worried worry safe unsafe safety welfare
wellbeing need needs needed involved involvement contact visit visits meeting meetings
conference review reviews decision decisions agency agencies professional professionals
practitioner practitioners manager managers lead designated named person people
parental responsibility pr unborn newborn male female boy girl teenager toddler adult adults
mr mrs ms miss mx dr prof
"""
_ADJECTIVES = """
happy unhappy upset angry scared frightened anxious distressed tearful quiet withdrawn fine
well unwell ill poorly sick tired hungry thin small tall young older younger eldest youngest
oldest elder good bad poor positive negative cooperative hostile aggressive violent drunk
intoxicated sober clean dirty unkempt present late early available unavailable keen willing
unwilling reluctant able unable happy content settled unsettled stable unstable vulnerable
disabled autistic deaf blind local separated divorced married single homeless pregnant
premature maternal paternal biological adoptive white black mixed heritage unaware year years
reception nursery primary secondary college university adhd asd neet sen nonverbal verbal
"""
_NATIONALITIES = """
british english scottish welsh irish polish romanian lithuanian latvian estonian pakistani
indian bangladeshi somali syrian afghan eritrean sudanese nigerian ghanaian chinese vietnamese
portuguese spanish italian french german turkish kurdish iraqi iranian albanian czech slovak
hungarian bulgarian ukrainian russian arabic urdu punjabi bengali gujarati european african
asian caribbean roma traveller muslim christian catholic jewish sikh hindu
"""
_AGENCIES = """
mash taf gp gps iro camhs dsl lado icpc rcpc nfa plo da dva sw yot yjs eha csc uc dwp nhs sen send
ehcp csap cse cce fgm lscp ofsted cafcass idva marac mappa hv nspcc barnardos a&e ed ae cpn
monday tuesday wednesday thursday friday saturday sunday january february march april may
june july august september october november december today yesterday tomorrow week weekend
"""

NOT_NAMES: frozenset[str] = frozenset(
    " ".join((_FUNCTION, _VERBS, _CASEWORK, _ADJECTIVES, _NATIONALITIES, _AGENCIES)).split()
)
