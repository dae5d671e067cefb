"""Microsoft Teams: `POST /api/messages` through botbuilder's CloudAdapter.

Every botbuilder import of the project lives in this package, so the channel can move to
the Microsoft 365 Agents SDK without touching anything else. Nothing is imported here at
package import: `adapters.teams.route.mount_teams` wires the channel into the web app and
`adapters.teams.manifest` builds the app package (no botbuilder needed for that).

- config.py      the CloudAdapter from MICROSOFT_APP_* and the card-signing secret
- route.py       the /api/messages route (401 on bad auth, invoke bodies) and mount_teams
- bot.py         one turn: messages, card actions, install and conversation updates
- chat.py        the typed commands: /challenge, challenge, help, list, status REF
- card_actions.py Action.Execute presses: intake submit, challenge actions, refresh
- people.py      who a Teams user is; conversation references saved and restored
- sender.py      proactive cards through stored references (the outbox dispatcher's sender)
- manifest.py    `mashbot manifest teams`: manifest.json + generated icons in a zip
"""
