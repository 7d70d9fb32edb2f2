//! `command_status`: the outcome of a request, carried in its response.
//!
//! A newtype over `u32` rather than an enum, so that vendor-specific and
//! reserved values survive a decode/encode round trip and can be counted.
//! Associated constants name every value SMPP 3.4 (section 5.1.3) and 5.0
//! (section 4.7.6) define; where 5.0 renamed a 3.4 status both names exist
//! and [`CommandStatus::name`] gives the 3.4 one.

use core::fmt;

/// A `command_status` value. Zero ([`ESME_ROK`](Self::ESME_ROK)) means
/// success; requests always carry zero.
///
/// ```
/// use hornet_smpp::CommandStatus;
/// assert_eq!(CommandStatus::ESME_RTHROTTLED.to_string(), "ESME_RTHROTTLED (0x00000058)");
/// assert_eq!(CommandStatus(0x4ff).to_string(), "0x000004ff");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct CommandStatus(pub u32);

impl CommandStatus {
    /// No error.
    pub const ESME_ROK: CommandStatus = CommandStatus(0x00000000);
    /// Message length is invalid.
    pub const ESME_RINVMSGLEN: CommandStatus = CommandStatus(0x00000001);
    /// Command length is invalid.
    pub const ESME_RINVCMDLEN: CommandStatus = CommandStatus(0x00000002);
    /// Invalid command ID.
    pub const ESME_RINVCMDID: CommandStatus = CommandStatus(0x00000003);
    /// Incorrect bind status for the given command.
    pub const ESME_RINVBNDSTS: CommandStatus = CommandStatus(0x00000004);
    /// ESME already in bound state.
    pub const ESME_RALYBND: CommandStatus = CommandStatus(0x00000005);
    /// Invalid priority flag.
    pub const ESME_RINVPRTFLG: CommandStatus = CommandStatus(0x00000006);
    /// Invalid registered delivery flag.
    pub const ESME_RINVREGDLVFLG: CommandStatus = CommandStatus(0x00000007);
    /// System error.
    pub const ESME_RSYSERR: CommandStatus = CommandStatus(0x00000008);
    /// Invalid source address.
    pub const ESME_RINVSRCADR: CommandStatus = CommandStatus(0x0000000A);
    /// Invalid destination address.
    pub const ESME_RINVDSTADR: CommandStatus = CommandStatus(0x0000000B);
    /// Message ID is invalid.
    pub const ESME_RINVMSGID: CommandStatus = CommandStatus(0x0000000C);
    /// Bind failed.
    pub const ESME_RBINDFAIL: CommandStatus = CommandStatus(0x0000000D);
    /// Invalid password.
    pub const ESME_RINVPASWD: CommandStatus = CommandStatus(0x0000000E);
    /// Invalid system ID.
    pub const ESME_RINVSYSID: CommandStatus = CommandStatus(0x0000000F);
    /// cancel_sm failed.
    pub const ESME_RCANCELFAIL: CommandStatus = CommandStatus(0x00000011);
    /// replace_sm failed.
    pub const ESME_RREPLACEFAIL: CommandStatus = CommandStatus(0x00000013);
    /// Message queue full: the MC cannot take more messages now; retry later.
    pub const ESME_RMSGQFUL: CommandStatus = CommandStatus(0x00000014);
    /// Invalid service type.
    pub const ESME_RINVSERTYP: CommandStatus = CommandStatus(0x00000015);
    /// Invalid number of destinations.
    pub const ESME_RINVNUMDESTS: CommandStatus = CommandStatus(0x00000033);
    /// Invalid distribution list name.
    pub const ESME_RINVDLNAME: CommandStatus = CommandStatus(0x00000034);
    /// Destination flag is invalid (submit_multi).
    pub const ESME_RINVDESTFLAG: CommandStatus = CommandStatus(0x00000040);
    /// Invalid 'submit with replace' request (replace_if_present_flag set).
    pub const ESME_RINVSUBREP: CommandStatus = CommandStatus(0x00000042);
    /// Invalid esm_class field data.
    pub const ESME_RINVESMCLASS: CommandStatus = CommandStatus(0x00000043);
    /// Cannot submit to distribution list.
    pub const ESME_RCNTSUBDL: CommandStatus = CommandStatus(0x00000044);
    /// submit_sm or submit_multi failed.
    pub const ESME_RSUBMITFAIL: CommandStatus = CommandStatus(0x00000045);
    /// Invalid source address TON.
    pub const ESME_RINVSRCTON: CommandStatus = CommandStatus(0x00000048);
    /// Invalid source address NPI.
    pub const ESME_RINVSRCNPI: CommandStatus = CommandStatus(0x00000049);
    /// Invalid destination address TON.
    pub const ESME_RINVDSTTON: CommandStatus = CommandStatus(0x00000050);
    /// Invalid destination address NPI.
    pub const ESME_RINVDSTNPI: CommandStatus = CommandStatus(0x00000051);
    /// Invalid system_type field.
    pub const ESME_RINVSYSTYP: CommandStatus = CommandStatus(0x00000053);
    /// Invalid replace_if_present flag.
    pub const ESME_RINVREPFLAG: CommandStatus = CommandStatus(0x00000054);
    /// Invalid number of messages.
    pub const ESME_RINVNUMMSGS: CommandStatus = CommandStatus(0x00000055);
    /// Throttling error: the ESME exceeded its allowed message rate; slow down.
    pub const ESME_RTHROTTLED: CommandStatus = CommandStatus(0x00000058);
    /// Invalid scheduled delivery time.
    pub const ESME_RINVSCHED: CommandStatus = CommandStatus(0x00000061);
    /// Invalid message validity period (expiry time).
    pub const ESME_RINVEXPIRY: CommandStatus = CommandStatus(0x00000062);
    /// Predefined message invalid or not found.
    pub const ESME_RINVDFTMSGID: CommandStatus = CommandStatus(0x00000063);
    /// ESME receiver temporary application error.
    pub const ESME_RX_T_APPN: CommandStatus = CommandStatus(0x00000064);
    /// ESME receiver permanent application error.
    pub const ESME_RX_P_APPN: CommandStatus = CommandStatus(0x00000065);
    /// ESME receiver reject message error.
    pub const ESME_RX_R_APPN: CommandStatus = CommandStatus(0x00000066);
    /// query_sm request failed.
    pub const ESME_RQUERYFAIL: CommandStatus = CommandStatus(0x00000067);
    /// Error in the optional part of the PDU body.
    pub const ESME_RINVOPTPARSTREAM: CommandStatus = CommandStatus(0x000000C0);
    /// Optional parameter (TLV) not allowed.
    pub const ESME_ROPTPARNOTALLWD: CommandStatus = CommandStatus(0x000000C1);
    /// Invalid parameter (TLV) length.
    pub const ESME_RINVPARLEN: CommandStatus = CommandStatus(0x000000C2);
    /// Expected optional parameter (TLV) missing.
    pub const ESME_RMISSINGOPTPARAM: CommandStatus = CommandStatus(0x000000C3);
    /// Invalid optional parameter (TLV) value.
    pub const ESME_RINVOPTPARAMVAL: CommandStatus = CommandStatus(0x000000C4);
    /// Delivery failure (used for data_sm_resp).
    pub const ESME_RDELIVERYFAILURE: CommandStatus = CommandStatus(0x000000FE);
    /// Unknown error.
    pub const ESME_RUNKNOWNERR: CommandStatus = CommandStatus(0x000000FF);
    /// ESME not authorised to use the specified service_type (SMPP 5.0).
    pub const ESME_RSERTYPUNAUTH: CommandStatus = CommandStatus(0x00000100);
    /// ESME prohibited from using the specified operation (SMPP 5.0).
    pub const ESME_RPROHIBITED: CommandStatus = CommandStatus(0x00000101);
    /// Specified service_type is unavailable (SMPP 5.0).
    pub const ESME_RSERTYPUNAVAIL: CommandStatus = CommandStatus(0x00000102);
    /// Specified service_type is denied (SMPP 5.0).
    pub const ESME_RSERTYPDENIED: CommandStatus = CommandStatus(0x00000103);
    /// Invalid data coding scheme (SMPP 5.0).
    pub const ESME_RINVDCS: CommandStatus = CommandStatus(0x00000104);
    /// Source address subunit is invalid (SMPP 5.0).
    pub const ESME_RINVSRCADDRSUBUNIT: CommandStatus = CommandStatus(0x00000105);
    /// Destination address subunit is invalid (SMPP 5.0).
    pub const ESME_RINVDSTADDRSUBUNIT: CommandStatus = CommandStatus(0x00000106);
    /// Broadcast frequency interval is invalid (SMPP 5.0).
    pub const ESME_RINVBCASTFREQINT: CommandStatus = CommandStatus(0x00000107);
    /// Broadcast alias name is invalid (SMPP 5.0).
    pub const ESME_RINVBCASTALIAS_NAME: CommandStatus = CommandStatus(0x00000108);
    /// Broadcast area format is invalid (SMPP 5.0).
    pub const ESME_RINVBCASTAREAFMT: CommandStatus = CommandStatus(0x00000109);
    /// Number of broadcast areas is invalid (SMPP 5.0).
    pub const ESME_RINVNUMBCAST_AREAS: CommandStatus = CommandStatus(0x0000010A);
    /// Broadcast content type is invalid (SMPP 5.0).
    pub const ESME_RINVBCASTCNTTYPE: CommandStatus = CommandStatus(0x0000010B);
    /// Broadcast message class is invalid (SMPP 5.0).
    pub const ESME_RINVBCASTMSGCLASS: CommandStatus = CommandStatus(0x0000010C);
    /// broadcast_sm operation failed (SMPP 5.0).
    pub const ESME_RBCASTFAIL: CommandStatus = CommandStatus(0x0000010D);
    /// query_broadcast_sm operation failed (SMPP 5.0).
    pub const ESME_RBCASTQUERYFAIL: CommandStatus = CommandStatus(0x0000010E);
    /// cancel_broadcast_sm operation failed (SMPP 5.0).
    pub const ESME_RBCASTCANCELFAIL: CommandStatus = CommandStatus(0x0000010F);
    /// Number of repeated broadcasts is invalid (SMPP 5.0).
    pub const ESME_RINVBCAST_REP: CommandStatus = CommandStatus(0x00000110);
    /// Broadcast service group is invalid (SMPP 5.0).
    pub const ESME_RINVBCASTSRVGRP: CommandStatus = CommandStatus(0x00000111);
    /// Broadcast channel indicator is invalid (SMPP 5.0).
    pub const ESME_RINVBCASTCHANIND: CommandStatus = CommandStatus(0x00000112);
    /// SMPP 5.0 name of [`ESME_RINVOPTPARSTREAM`](Self::ESME_RINVOPTPARSTREAM).
    pub const ESME_RINVTLVSTREAM: CommandStatus = Self::ESME_RINVOPTPARSTREAM;
    /// SMPP 5.0 name of [`ESME_ROPTPARNOTALLWD`](Self::ESME_ROPTPARNOTALLWD).
    pub const ESME_RTLVNOTALLWD: CommandStatus = Self::ESME_ROPTPARNOTALLWD;
    /// SMPP 5.0 name of [`ESME_RINVPARLEN`](Self::ESME_RINVPARLEN).
    pub const ESME_RINVTLVLEN: CommandStatus = Self::ESME_RINVPARLEN;
    /// SMPP 5.0 name of [`ESME_RMISSINGOPTPARAM`](Self::ESME_RMISSINGOPTPARAM).
    pub const ESME_RMISSINGTLV: CommandStatus = Self::ESME_RMISSINGOPTPARAM;
    /// SMPP 5.0 name of [`ESME_RINVOPTPARAMVAL`](Self::ESME_RINVOPTPARAMVAL).
    pub const ESME_RINVTLVVAL: CommandStatus = Self::ESME_RINVOPTPARAMVAL;

    /// The spec's name for this status, `None` for reserved and
    /// vendor-specific values.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x00000000 => "ESME_ROK",
            0x00000001 => "ESME_RINVMSGLEN",
            0x00000002 => "ESME_RINVCMDLEN",
            0x00000003 => "ESME_RINVCMDID",
            0x00000004 => "ESME_RINVBNDSTS",
            0x00000005 => "ESME_RALYBND",
            0x00000006 => "ESME_RINVPRTFLG",
            0x00000007 => "ESME_RINVREGDLVFLG",
            0x00000008 => "ESME_RSYSERR",
            0x0000000A => "ESME_RINVSRCADR",
            0x0000000B => "ESME_RINVDSTADR",
            0x0000000C => "ESME_RINVMSGID",
            0x0000000D => "ESME_RBINDFAIL",
            0x0000000E => "ESME_RINVPASWD",
            0x0000000F => "ESME_RINVSYSID",
            0x00000011 => "ESME_RCANCELFAIL",
            0x00000013 => "ESME_RREPLACEFAIL",
            0x00000014 => "ESME_RMSGQFUL",
            0x00000015 => "ESME_RINVSERTYP",
            0x00000033 => "ESME_RINVNUMDESTS",
            0x00000034 => "ESME_RINVDLNAME",
            0x00000040 => "ESME_RINVDESTFLAG",
            0x00000042 => "ESME_RINVSUBREP",
            0x00000043 => "ESME_RINVESMCLASS",
            0x00000044 => "ESME_RCNTSUBDL",
            0x00000045 => "ESME_RSUBMITFAIL",
            0x00000048 => "ESME_RINVSRCTON",
            0x00000049 => "ESME_RINVSRCNPI",
            0x00000050 => "ESME_RINVDSTTON",
            0x00000051 => "ESME_RINVDSTNPI",
            0x00000053 => "ESME_RINVSYSTYP",
            0x00000054 => "ESME_RINVREPFLAG",
            0x00000055 => "ESME_RINVNUMMSGS",
            0x00000058 => "ESME_RTHROTTLED",
            0x00000061 => "ESME_RINVSCHED",
            0x00000062 => "ESME_RINVEXPIRY",
            0x00000063 => "ESME_RINVDFTMSGID",
            0x00000064 => "ESME_RX_T_APPN",
            0x00000065 => "ESME_RX_P_APPN",
            0x00000066 => "ESME_RX_R_APPN",
            0x00000067 => "ESME_RQUERYFAIL",
            0x000000C0 => "ESME_RINVOPTPARSTREAM",
            0x000000C1 => "ESME_ROPTPARNOTALLWD",
            0x000000C2 => "ESME_RINVPARLEN",
            0x000000C3 => "ESME_RMISSINGOPTPARAM",
            0x000000C4 => "ESME_RINVOPTPARAMVAL",
            0x000000FE => "ESME_RDELIVERYFAILURE",
            0x000000FF => "ESME_RUNKNOWNERR",
            0x00000100 => "ESME_RSERTYPUNAUTH",
            0x00000101 => "ESME_RPROHIBITED",
            0x00000102 => "ESME_RSERTYPUNAVAIL",
            0x00000103 => "ESME_RSERTYPDENIED",
            0x00000104 => "ESME_RINVDCS",
            0x00000105 => "ESME_RINVSRCADDRSUBUNIT",
            0x00000106 => "ESME_RINVDSTADDRSUBUNIT",
            0x00000107 => "ESME_RINVBCASTFREQINT",
            0x00000108 => "ESME_RINVBCASTALIAS_NAME",
            0x00000109 => "ESME_RINVBCASTAREAFMT",
            0x0000010A => "ESME_RINVNUMBCAST_AREAS",
            0x0000010B => "ESME_RINVBCASTCNTTYPE",
            0x0000010C => "ESME_RINVBCASTMSGCLASS",
            0x0000010D => "ESME_RBCASTFAIL",
            0x0000010E => "ESME_RBCASTQUERYFAIL",
            0x0000010F => "ESME_RBCASTCANCELFAIL",
            0x00000110 => "ESME_RINVBCAST_REP",
            0x00000111 => "ESME_RINVBCASTSRVGRP",
            0x00000112 => "ESME_RINVBCASTCHANIND",
            _ => return None,
        })
    }

    /// Whether this is `ESME_ROK`.
    pub const fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// Whether the MC asks the ESME to slow down rather than reporting a
    /// failure: `ESME_RTHROTTLED` or `ESME_RMSGQFUL`. The engine pauses the
    /// bind with backoff on these and counts them apart from failures.
    pub const fn is_throttle(self) -> bool {
        matches!(self, Self::ESME_RTHROTTLED | Self::ESME_RMSGQFUL)
    }
}

impl fmt::Display for CommandStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} (0x{:08x})", self.0),
            None => write!(f, "0x{:08x}", self.0),
        }
    }
}

impl From<u32> for CommandStatus {
    fn from(v: u32) -> Self {
        CommandStatus(v)
    }
}

impl From<CommandStatus> for u32 {
    fn from(s: CommandStatus) -> u32 {
        s.0
    }
}
