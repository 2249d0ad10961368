/*-------------------------------------------------------------------------
 *
 * errcodes.h
 *		The extension's own SQLSTATEs, class "WO".  Keep this list, the
 *		README's error table and the SQL sources (which raise some of them)
 *		in step.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_ERRCODES_H
#define WOES_ERRCODES_H

#include "utils/elog.h"

#define ERRCODE_WOES_NO_CONTEXT			MAKE_SQLSTATE('W','O','0','0','1')
#define ERRCODE_WOES_WRONG_WORKSPACE	MAKE_SQLSTATE('W','O','0','0','2')
#define ERRCODE_WOES_NOT_ALLOWED		MAKE_SQLSTATE('W','O','0','0','3')
#define ERRCODE_WOES_INVALID_CONTEXT	MAKE_SQLSTATE('W','O','0','0','4')
#define ERRCODE_WOES_NOT_FOUND			MAKE_SQLSTATE('W','O','0','0','5')
#define ERRCODE_WOES_IMMUTABLE			MAKE_SQLSTATE('W','O','0','0','6')
#define ERRCODE_WOES_INVALID_ARGUMENT	MAKE_SQLSTATE('W','O','0','0','7')
#define ERRCODE_WOES_DUPLICATE			MAKE_SQLSTATE('W','O','0','0','8')
#define ERRCODE_WOES_INVALID_TRANSITION	MAKE_SQLSTATE('W','O','1','0','1')
#define ERRCODE_WOES_INVALID_SNOOZE		MAKE_SQLSTATE('W','O','1','0','2')
#define ERRCODE_WOES_INVALID_MERGE		MAKE_SQLSTATE('W','O','1','0','3')
#define ERRCODE_WOES_GROUNDING_REQUIRED	MAKE_SQLSTATE('W','O','2','0','1')
#define ERRCODE_WOES_AUTOMATION_STOPPED	MAKE_SQLSTATE('W','O','3','0','1')
#define ERRCODE_WOES_ALREADY_TAKEN		MAKE_SQLSTATE('W','O','3','0','2')
#define ERRCODE_WOES_NO_AGENT			MAKE_SQLSTATE('W','O','3','0','3')
#define ERRCODE_WOES_INVALID_HANDOFF	MAKE_SQLSTATE('W','O','3','0','4')
#define ERRCODE_WOES_INVALID_ASSIGNMENT	MAKE_SQLSTATE('W','O','6','0','1')
#define ERRCODE_WOES_INVALID_FIELD		MAKE_SQLSTATE('W','O','6','0','2')
#define ERRCODE_WOES_REQUIRED_FIELDS	MAKE_SQLSTATE('W','O','6','0','3')
#define ERRCODE_WOES_FIELD_IN_USE		MAKE_SQLSTATE('W','O','6','0','4')
#define ERRCODE_WOES_INVALID_MACRO		MAKE_SQLSTATE('W','O','6','0','5')
#define ERRCODE_WOES_READ_COMMITTED		MAKE_SQLSTATE('W','O','4','0','1')
#define ERRCODE_WOES_STANDBY			MAKE_SQLSTATE('W','O','4','0','2')
/* raised in SQL only, by woes.distribute() (70_scale_out.sql) */
#define ERRCODE_WOES_SCALE_OUT			MAKE_SQLSTATE('W','O','5','0','1')

#endif							/* WOES_ERRCODES_H */
