package contract

import (
	"reflect"
	"slices"
	"strings"
)

// Text is a text shown to people, in English and Chinese.
type Text struct{ En, Zh string }

// In returns the text in the language ("zh" or else English).
func (t Text) In(lang string) string {
	if lang == "zh" && t.Zh != "" {
		return t.Zh
	}
	return t.En
}

// FieldKind is what a payload field holds, which decides how a tool asks for it and how
// what a person typed becomes JSON (see ActionSpec.Build).
type FieldKind string

// The field kinds.
const (
	KindText         FieldKind = "text"         // one line of text
	KindNote         FieldKind = "note"         // free text, several lines
	KindChoice       FieldKind = "choice"       // one of Options
	KindBool         FieldKind = "bool"         // yes or no
	KindMoney        FieldKind = "money"        // an amount in minor units
	KindNumber       FieldKind = "number"       // a whole number
	KindTime         FieldKind = "time"         // RFC 3339; empty: now
	KindAgent        FieldKind = "agent"        // an agent id
	KindAgents       FieldKind = "agents"       // agent ids, separated by commas
	KindAddress      FieldKind = "address"      // an address id of the case's account, or a new address
	KindPhone        FieldKind = "phone"        // a phone id of the case's account, or a new number
	KindInstallments FieldKind = "installments" // DATE:AMOUNT, one per line
	KindID           FieldKind = "id"           // an id the sender chooses (a payment's)
)

// Field is one field of an action's payload as tools show it.
type Field struct {
	Name    string // the JSON name
	Flag    string // bin/agent's flag; empty: the name in kebab case
	Kind    FieldKind
	Options []string // a choice's values
	Label   Text
	Help    Text
}

// FlagName is the field's flag in bin/agent.
func (f Field) FlagName() string {
	if f.Flag != "" {
		return f.Flag
	}
	var b strings.Builder
	for _, r := range f.Name {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('-')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// NewFlagName is bin/agent's flag for a new address or phone typed as text.
func (f Field) NewFlagName() string {
	if f.Kind == KindPhone {
		return "new-phone"
	}
	return "new-address"
}

// ActionSpec is one human action: everything a client needs to offer it, check it and send
// it. The workflow registers an update and a signal per entry, the API a route, bin/agent
// a subcommand and the console a form; adding an action means adding an entry to Table
// (and its behaviour to the workflow).
type ActionSpec struct {
	Name  string
	Title Text // what a button or a subcommand says
	Help  Text
	// Payload returns a new, zero payload (a pointer to the payload's type).
	Payload func() any
	// Actor is the JSON field that names who acts (a string or a list of ids that must
	// include the sender); empty when the payload names nobody (a payment).
	Actor string
	// Roles may send the action (and only in their own name).
	Roles []string
	// Stages are where the case must stand for the action to be taken.
	Stages []Stage
	// Contact: the action reports a contact with the debtor, which is recorded even
	// when refused.
	Contact bool
	Fields  []Field
}

// OpenIn reports whether the action may be taken in the stage.
func (s *ActionSpec) OpenIn(st Stage) bool { return slices.Contains(s.Stages, st) }

// AllowedRole reports whether the role may send the action.
func (s *ActionSpec) AllowedRole(role string) bool { return slices.Contains(s.Roles, role) }

// ActorField is the field that names who acts, if any.
func (s *ActionSpec) ActorField() (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == s.Actor && s.Actor != "" {
			return f, true
		}
	}
	return Field{}, false
}

// ActorsOf returns who a decoded payload of the action says acts (nil: nobody named).
func (s *ActionSpec) ActorsOf(payload any) []string {
	if s.Actor == "" {
		return nil
	}
	v := reflect.ValueOf(payload)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != s.Actor {
			continue
		}
		switch f := v.Field(i); f.Kind() {
		case reflect.String:
			return []string{f.String()}
		case reflect.Slice:
			if ids, ok := f.Interface().([]string); ok {
				return slices.Clone(ids)
			}
		}
	}
	return nil
}

// ActionTable is a list of actions; Table is Casework's.
type ActionTable []ActionSpec

// Lookup finds an action by name.
func (t ActionTable) Lookup(name string) (*ActionSpec, bool) {
	for i := range t {
		if t[i].Name == name {
			return &t[i], true
		}
	}
	return nil, false
}

// Names lists the actions' names in order.
func (t ActionTable) Names() []string {
	names := make([]string, len(t))
	for i, a := range t {
		names[i] = a.Name
	}
	return names
}

// Actions lists every human action's name, in DESIGN.md's order.
var Actions = Table.Names()

// Stage sets of the table.
var (
	stagesOpen        = []Stage{StageScreen, StagePhoneVerify, StageVisit, StageNegotiate, StageRepayment, StageSurvey}
	stagesAfterScreen = stagesOpen[1:]
)

// Fields shared by several actions.
var (
	fieldNote = Field{Name: "note", Kind: KindNote, Label: Text{"Note", "备注"}, Help: Text{"Optional; no more than the case needs.", "可选;只写案件需要的内容。"}}
	fieldBy   = Field{Name: "by", Kind: KindAgent, Label: Text{"Supervisor", "主管"}, Help: Text{"You: the signed-in supervisor.", "您本人:已登录的主管。"}}
	fieldWhy  = Field{Name: "reason", Kind: KindNote, Label: Text{"Reason", "原因"}, Help: Text{"Required: why, for the audit log.", "必填:原因,记入审计日志。"}}
	fieldMe   = Field{Name: "agentId", Flag: "agent", Kind: KindAgent, Label: Text{"Agent", "催收员"}, Help: Text{"You: the signed-in agent.", "您本人:已登录的催收员。"}}
)

func supervisorSpec(name string, title, help Text) ActionSpec {
	return ActionSpec{Name: name, Title: title, Help: help, Payload: func() any { return new(SupervisorAction) },
		Actor: "by", Roles: []string{RoleSupervisor}, Stages: stagesAfterScreen, Fields: []Field{fieldBy, fieldWhy}}
}

// Table is every human action of a case, in DESIGN.md's order.
var Table = ActionTable{
	{
		Name: ActionPhoneVerified, Title: Text{"Report a phone-verify call", "提交电话核实结果"},
		Help:    Text{"The result of the call that verifies the cardholder's address.", "核实持卡人地址的电话结果。"},
		Payload: func() any { return new(PhoneVerified) }, Actor: "agentId", Roles: []string{RolePhone},
		Stages: []Stage{StagePhoneVerify}, Contact: true,
		Fields: []Field{
			fieldMe,
			{Name: "calledAt", Kind: KindTime, Label: Text{"Called at", "通话时间"}, Help: Text{"RFC 3339; empty: now.", "RFC 3339 格式;留空为现在。"}},
			{Name: "outcome", Kind: KindChoice, Options: PhoneOutcomes, Label: Text{"Outcome", "结果"}, Help: Text{"What the call established.", "通话核实的结果。"}},
			{Name: "addressId", Kind: KindAddress, Label: Text{"New address", "新地址"}, Help: Text{"Only when the address changed: its id, or type the new address.", "仅在地址变更时填写:地址编号,或直接输入新地址。"}},
			{Name: "debtorAskedCallback", Flag: "callback-asked", Kind: KindBool, Label: Text{"The debtor asked to be called again", "债务人要求回电"}},
			fieldNote,
		},
	},
	{
		Name: ActionVisitReport, Title: Text{"Report a field visit", "提交外访报告"},
		Help:    Text{"Two or more field agents visit the verified address and show their badges.", "两名及以上外访员前往已核实地址并出示工作证。"},
		Payload: func() any { return new(VisitReport) }, Actor: "agentIds", Roles: []string{RoleField},
		Stages: []Stage{StageVisit}, Contact: true,
		Fields: []Field{
			{Name: "agentIds", Flag: "with", Kind: KindAgents, Label: Text{"Other field agents at the visit", "同行外访员"}, Help: Text{"Their ids, separated by commas; you are added.", "编号以逗号分隔;自动加入您本人。"}},
			{Name: "badgesShown", Kind: KindBool, Label: Text{"Every agent showed a work badge", "每位外访员均已出示工作证"}},
			{Name: "visitedAt", Kind: KindTime, Label: Text{"Visited at", "外访时间"}, Help: Text{"RFC 3339; empty: now.", "RFC 3339 格式;留空为现在。"}},
			{Name: "addressId", Kind: KindAddress, Label: Text{"Address visited", "外访地址"}, Help: Text{"The phone-verified address's id.", "电话核实地址的编号。"}},
			{Name: "debtorMet", Kind: KindBool, Label: Text{"The debtor was met", "见到债务人"}},
			{Name: "livingConditions", Kind: KindText, Label: Text{"Living conditions", "居住状况"}},
			{Name: "employment", Kind: KindText, Label: Text{"Employment", "就业状况"}},
			{Name: "monthlyCapacity", Kind: KindMoney, Label: Text{"Monthly repayment capacity", "每月还款能力"}, Help: Text{"In minor units (cents).", "以最小货币单位(分)计。"}},
			{Name: "willingness", Kind: KindChoice, Options: WillingnessLevels, Label: Text{"Willingness to pay", "还款意愿"}},
			fieldNote,
		},
	},
	{
		Name: ActionNegotiationResult, Title: Text{"Report a negotiation", "提交协商结果"},
		Help:    Text{"A plan must add up to the balance; the legal consequences are explained truthfully.", "还款计划合计须等于欠款余额;须如实说明法律后果。"},
		Payload: func() any { return new(NegotiationResult) }, Actor: "agentId", Roles: []string{RolePhone, RoleField},
		Stages: []Stage{StageNegotiate}, Contact: true,
		Fields: []Field{
			fieldMe,
			{Name: "outcome", Kind: KindChoice, Options: NegotiationOutcomes, Label: Text{"Outcome", "结果"}},
			{Name: "legalConsequencesExplained", Kind: KindBool, Label: Text{"The legal consequences were explained truthfully", "已如实说明法律后果"}},
			{Name: "installments", Flag: "installment", Kind: KindInstallments, Label: Text{"Installments", "分期"}, Help: Text{"One per line: YYYY-MM-DD:AMOUNT (plan-agreed).", "每行一期:YYYY-MM-DD:金额(达成计划时)。"}},
			fieldNote,
		},
	},
	{
		Name: ActionPaymentReceived, Title: Text{"Report a payment", "登记还款"},
		Help:    Text{"A payment from the debtor; its id makes a repeat count once.", "债务人的还款;还款编号保证重复提交只计一次。"},
		Payload: func() any { return new(PaymentReceived) }, Roles: []string{RoleSupervisor},
		Stages: stagesOpen,
		Fields: []Field{
			{Name: "paymentId", Kind: KindID, Label: Text{"Payment id", "还款编号"}, Help: Text{"The payment system's reference.", "支付系统的流水号。"}},
			{Name: "amount", Kind: KindMoney, Label: Text{"Amount", "金额"}, Help: Text{"In minor units (cents).", "以最小货币单位(分)计。"}},
			{Name: "paidAt", Kind: KindTime, Label: Text{"Paid at", "还款时间"}, Help: Text{"RFC 3339; empty: now.", "RFC 3339 格式;留空为现在。"}},
			{Name: "channel", Kind: KindText, Label: Text{"Channel", "渠道"}, Help: Text{"e.g. bank-transfer.", "如 bank-transfer。"}},
		},
	},
	{
		Name: ActionAnomaly, Title: Text{"Report an anomaly", "报告异常"},
		Help:    Text{"A changed contact, a refusal, a dispute, a complaint, a death or a bankruptcy.", "联系方式变更、拒绝还款、争议、投诉、死亡或破产。"},
		Payload: func() any { return new(AnomalyReport) }, Actor: "reportedBy", Roles: []string{RolePhone, RoleField},
		Stages: stagesAfterScreen,
		Fields: []Field{
			{Name: "kind", Kind: KindChoice, Options: ReportedAnomalyKinds, Label: Text{"Kind", "类型"}},
			{Name: "reportedBy", Flag: "by", Kind: KindAgent, Label: Text{"Reported by", "报告人"}, Help: Text{"You: the signed-in agent.", "您本人:已登录的催收员。"}},
			{Name: "phoneId", Kind: KindPhone, Label: Text{"New phone", "新电话"}, Help: Text{"contact-changed: its id, or type the new number.", "联系方式变更时:电话编号,或直接输入新号码。"}},
			{Name: "addressId", Kind: KindAddress, Label: Text{"New address", "新地址"}, Help: Text{"contact-changed: its id, or type the new address.", "联系方式变更时:地址编号,或直接输入新地址。"}},
			fieldNote,
		},
	},
	{
		Name: ActionSurveyResult, Title: Text{"Report the callback survey", "提交回访结果"},
		Help:    Text{"The call after a resolved case: was the debtor treated well?", "结案后的回访电话:债务人是否受到妥善对待?"},
		Payload: func() any { return new(SurveyResult) }, Actor: "agentId", Roles: []string{RolePhone},
		Stages: []Stage{StageSurvey}, Contact: true,
		Fields: []Field{
			fieldMe,
			{Name: "reached", Kind: KindBool, Label: Text{"The debtor was reached", "已联系到债务人"}},
			{Name: "satisfaction", Kind: KindNumber, Label: Text{"Satisfaction (1-5)", "满意度(1-5)"}, Help: Text{"When reached.", "联系到时填写。"}},
			{Name: "complaint", Kind: KindBool, Label: Text{"The debtor complained", "债务人投诉"}},
			{Name: "comments", Kind: KindNote, Label: Text{"Comments", "意见"}},
		},
	},
	supervisorSpec(ActionPause, Text{"Pause the case", "暂停案件"}, Text{"No contact and no deadlines until it is resumed.", "恢复之前不联系、不计时限。"}),
	supervisorSpec(ActionResume, Text{"Resume the case", "恢复案件"}, Text{"Ends a pause or a dispute hold.", "结束暂停或争议冻结。"}),
	{
		Name: ActionReassign, Title: Text{"Reassign", "重新分派"},
		Help:    Text{"Give a role's part of the case to other agents.", "将某一角色的工作改派给其他催收员。"},
		Payload: func() any { return new(Reassign) }, Actor: "by", Roles: []string{RoleSupervisor},
		Stages: stagesAfterScreen,
		Fields: []Field{
			fieldBy,
			{Name: "role", Kind: KindChoice, Options: []string{RolePhone, RoleField}, Label: Text{"Role", "角色"}},
			{Name: "agentIds", Flag: "agents", Kind: KindAgents, Label: Text{"Agents", "催收员"}, Help: Text{"Their ids, separated by commas.", "编号以逗号分隔。"}},
		},
	},
	supervisorSpec(ActionClose, Text{"Close the case", "结案"}, Text{"Outcome closed-by-supervisor.", "结果为主管结案。"}),
}
