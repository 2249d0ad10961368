/*-------------------------------------------------------------------------
 *
 * handoff.h
 *		Who answers a conversation.  The handoff hook of the conversation
 *		trigger is declared in conversations.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_HANDOFF_H
#define WOES_HANDOFF_H

/*
 * "An active agent serves the channel": the rule that puts a conversation
 * under automation, written once.  An SQL boolean expression over the
 * workspace and channel expressions given (for statements run as the
 * owner, with the pinned search_path).  The creation facts
 * (woes_conversation_facts: a new conversation starts under automation)
 * and woes.handoff() (a release to automation) both read it.
 */
#define WOES_AGENT_SERVES_SQL(workspace, channel) \
	"EXISTS (SELECT FROM woes.agents a" \
	" WHERE a.workspace_id OPERATOR(pg_catalog.=) " workspace " AND a.active" \
	" AND (a.channels IS NULL OR " channel " OPERATOR(pg_catalog.=) ANY (a.channels)))"

/* the control table: may control move from one value to another? */
extern bool woes_control_can_change(int from, int to);
/* WO301 unless an agent may still answer in public under this control */
extern void woes_handoff_check_agent_message(int control);

#endif							/* WOES_HANDOFF_H */
