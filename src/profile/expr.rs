//! Invariant expressions: arithmetic and comparisons over values captured
//! by `setup`/`teardown` and the run's own counters.
//!
//! ```text
//! after.balance - before.balance == count("create_transaction", status = 201) * 10000
//! count("order", status = 409) == 15 and after.stock >= 0
//! ```
//!
//! `before.X` (alias `setup.X`) and `after.X` (alias `teardown.X`) are
//! captured values; `count(NAME?, status = N)` counts responses,
//! `count(NAME)` requests sent, `passed(NAME?)` requests whose checks
//! passed, `failed(NAME?)` requests that failed (checks or transport),
//! `errors(NAME?)` transport errors and timeouts. Parsed once at load time;
//! names are checked against the profile before any traffic.

use std::fmt;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number literal.
    Num(f64),
    /// `before.X` / `after.X`.
    Captured {
        /// `true` for teardown (`after`), `false` for setup (`before`).
        after: bool,
        /// Variable name.
        name: String,
    },
    /// A counter function.
    Count(CountFn),
    /// `-x`.
    Neg(Box<Expr>),
    /// `not x`.
    Not(Box<Expr>),
    /// A binary operation.
    Bin(Op, Box<Expr>, Box<Expr>),
}

/// A counter over the run's requests.
#[derive(Debug, Clone, PartialEq)]
pub struct CountFn {
    /// Which counter.
    pub kind: CountKind,
    /// Request name; `None` for all requests.
    pub name: Option<String>,
    /// Only responses with this status.
    pub status: Option<u16>,
    /// Byte offset of the name in the source, for error messages.
    pub offset: usize,
}

/// The counter functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountKind {
    /// `count`: requests sent, or responses with `status`.
    Count,
    /// `passed`: requests whose checks passed.
    Passed,
    /// `failed`: requests that failed checks or transport.
    Failed,
    /// `errors`: transport errors and timeouts.
    Errors,
}

/// Binary operators, lowest precedence first in [`Expr`] parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `or`, `||`.
    Or,
    /// `and`, `&&`.
    And,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Or => "or",
            Op::And => "and",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
        })
    }
}

/// A syntax error at byte `offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// Byte offset in the expression.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// What expressions read at evaluation time.
pub trait Env {
    /// A captured value as a number (`Err` says why not).
    fn captured(&self, after: bool, name: &str) -> Result<f64, String>;
    /// A counter.
    fn count(&self, f: &CountFn) -> f64;
}

/// Result of evaluating an expression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// A number.
    Num(f64),
    /// A truth value.
    Bool(bool),
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => write!(f, "{}", *n as i64),
            Val::Num(n) => write!(f, "{n}"),
            Val::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl Expr {
    /// Parses `src`.
    pub fn parse(src: &str) -> Result<Expr, ExprError> {
        let mut p = Parser { src, pos: 0 };
        let e = p.or()?;
        p.ws();
        if p.pos < src.len() {
            return Err(p.err("unexpected text after the expression"));
        }
        Ok(e)
    }

    /// Every counter and captured name used, for validation.
    pub fn visit(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Neg(e) | Expr::Not(e) => e.visit(f),
            Expr::Bin(_, a, b) => {
                a.visit(f);
                b.visit(f);
            }
            _ => {}
        }
    }

    /// Evaluates against `env`.
    pub fn eval(&self, env: &dyn Env) -> Result<Val, String> {
        Ok(match self {
            Expr::Num(n) => Val::Num(*n),
            Expr::Captured { after, name } => Val::Num(env.captured(*after, name)?),
            Expr::Count(c) => Val::Num(env.count(c)),
            Expr::Neg(e) => Val::Num(-num(e.eval(env)?)?),
            Expr::Not(e) => Val::Bool(!truth(e.eval(env)?)?),
            Expr::Bin(op, a, b) => {
                let (x, y) = (a.eval(env)?, b.eval(env)?);
                match op {
                    Op::Or => Val::Bool(truth(x)? || truth(y)?),
                    Op::And => Val::Bool(truth(x)? && truth(y)?),
                    Op::Eq => Val::Bool(num(x)? == num(y)?),
                    Op::Ne => Val::Bool(num(x)? != num(y)?),
                    Op::Lt => Val::Bool(num(x)? < num(y)?),
                    Op::Le => Val::Bool(num(x)? <= num(y)?),
                    Op::Gt => Val::Bool(num(x)? > num(y)?),
                    Op::Ge => Val::Bool(num(x)? >= num(y)?),
                    Op::Add => Val::Num(num(x)? + num(y)?),
                    Op::Sub => Val::Num(num(x)? - num(y)?),
                    Op::Mul => Val::Num(num(x)? * num(y)?),
                    Op::Div => {
                        let d = num(y)?;
                        if d == 0.0 {
                            return Err("division by zero".into());
                        }
                        Val::Num(num(x)? / d)
                    }
                }
            }
        })
    }
}

fn num(v: Val) -> Result<f64, String> {
    match v {
        Val::Num(n) => Ok(n),
        Val::Bool(_) => Err("a comparison was used as a number".into()),
    }
}

fn truth(v: Val) -> Result<bool, String> {
    match v {
        Val::Bool(b) => Ok(b),
        Val::Num(_) => Err("a number was used as a condition (compare it with ==, <, ...)".into()),
    }
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, m: &str) -> ExprError {
        ExprError {
            offset: self.pos,
            message: m.to_string(),
        }
    }

    fn ws(&mut self) {
        while self.rest().starts_with(|c: char| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    /// Consumes `tok` if next (words only when followed by a non-word).
    fn eat(&mut self, tok: &str) -> bool {
        self.ws();
        let r = self.rest();
        if !r.starts_with(tok) {
            return false;
        }
        let word = tok.chars().all(|c| c.is_ascii_alphabetic());
        if word && r[tok.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_') {
            return false;
        }
        self.pos += tok.len();
        true
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        let mut e = self.and()?;
        while self.eat("or") || self.eat("||") {
            e = Expr::Bin(Op::Or, Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        let mut e = self.cmp()?;
        while self.eat("and") || self.eat("&&") {
            e = Expr::Bin(Op::And, Box::new(e), Box::new(self.cmp()?));
        }
        Ok(e)
    }

    fn cmp(&mut self) -> Result<Expr, ExprError> {
        let e = self.sum()?;
        for (tok, op) in [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
        ] {
            if self.eat(tok) {
                return Ok(Expr::Bin(op, Box::new(e), Box::new(self.sum()?)));
            }
        }
        Ok(e)
    }

    fn sum(&mut self) -> Result<Expr, ExprError> {
        let mut e = self.prod()?;
        loop {
            let op = if self.eat("+") {
                Op::Add
            } else if self.eat("-") {
                Op::Sub
            } else {
                return Ok(e);
            };
            e = Expr::Bin(op, Box::new(e), Box::new(self.prod()?));
        }
    }

    fn prod(&mut self) -> Result<Expr, ExprError> {
        let mut e = self.unary()?;
        loop {
            let op = if self.eat("*") {
                Op::Mul
            } else if self.eat("/") {
                Op::Div
            } else {
                return Ok(e);
            };
            e = Expr::Bin(op, Box::new(e), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.eat("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if self.eat("not") || self.eat("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, ExprError> {
        self.ws();
        if self.eat("(") {
            let e = self.or()?;
            if !self.eat(")") {
                return Err(self.err("expected ')'"));
            }
            return Ok(e);
        }
        let r = self.rest();
        if r.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            let len = r
                .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
                .unwrap_or(r.len());
            let text: String = r[..len].chars().filter(|&c| c != '_').collect();
            let n = text
                .parse::<f64>()
                .map_err(|_| self.err(&format!("'{}' is not a number", &r[..len])))?;
            self.pos += len;
            return Ok(Expr::Num(n));
        }
        let start = self.pos;
        let ident = self
            .ident()
            .ok_or_else(|| self.err("expected a number, a name or '('"))?;
        if self.eat("(") {
            return self.call(&ident, start);
        }
        let (after, name) = match ident.split_once('.') {
            Some(("before" | "setup", n)) => (false, n),
            Some(("after" | "teardown", n)) => (true, n),
            _ => {
                return Err(ExprError {
                    offset: start,
                    message: format!(
                        "unknown name '{ident}' (use before.NAME / after.NAME for captured values, or count(...))"
                    ),
                })
            }
        };
        Ok(Expr::Captured {
            after,
            name: name.to_string(),
        })
    }

    fn ident(&mut self) -> Option<String> {
        let r = self.rest();
        let len = r
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(r.len());
        if len == 0 || !r.starts_with(|c: char| c.is_alphabetic() || c == '_') {
            return None;
        }
        let word = r[..len].to_string();
        self.pos += len;
        Some(word)
    }

    fn call(&mut self, f: &str, start: usize) -> Result<Expr, ExprError> {
        let kind = match f {
            "count" => CountKind::Count,
            "passed" => CountKind::Passed,
            "failed" => CountKind::Failed,
            "errors" => CountKind::Errors,
            _ => {
                return Err(ExprError {
                    offset: start,
                    message: format!(
                        "unknown function '{f}' (known: count, passed, failed, errors)"
                    ),
                })
            }
        };
        let mut c = CountFn {
            kind,
            name: None,
            status: None,
            offset: start,
        };
        let mut first = true;
        while !self.eat(")") {
            if !first && !self.eat(",") {
                return Err(self.err("expected ',' or ')'"));
            }
            self.ws();
            if self.rest().starts_with('"') {
                if c.name.is_some() || !first {
                    return Err(self.err("the request name goes first, once"));
                }
                c.offset = self.pos;
                c.name = Some(self.string()?);
            } else {
                let key_at = self.pos;
                let key = self
                    .ident()
                    .ok_or_else(|| self.err("expected \"name\" or status = N"))?;
                if key != "status" {
                    return Err(ExprError {
                        offset: key_at,
                        message: format!("unknown argument '{key}' (known: status)"),
                    });
                }
                if kind != CountKind::Count {
                    return Err(ExprError {
                        offset: key_at,
                        message: format!("status = N only goes with count(), not {f}()"),
                    });
                }
                if !self.eat("=") {
                    return Err(self.err("expected '=' after status"));
                }
                self.ws();
                let r = self.rest();
                let len = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
                let status = r[..len]
                    .parse::<u16>()
                    .ok()
                    .filter(|s| (100..1000).contains(s))
                    .ok_or_else(|| self.err("status must be a number from 100 to 999"))?;
                self.pos += len;
                c.status = Some(status);
            }
            first = false;
        }
        Ok(Expr::Count(c))
    }

    fn string(&mut self) -> Result<String, ExprError> {
        let r = self.rest();
        let end = r[1..]
            .find('"')
            .ok_or_else(|| self.err("unterminated string"))?;
        let s = r[1..1 + end].to_string();
        self.pos += end + 2;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct E;
    impl Env for E {
        fn captured(&self, after: bool, name: &str) -> Result<f64, String> {
            match (after, name) {
                (false, "balance") => Ok(1_000_000.0),
                (true, "balance") => Ok(1_990_000.0),
                _ => Err(format!("{name} was not captured")),
            }
        }
        fn count(&self, f: &CountFn) -> f64 {
            match (f.name.as_deref(), f.status) {
                (Some("tx"), Some(201)) => 100.0,
                (Some("tx"), None) => 100.0,
                _ => 0.0,
            }
        }
    }

    #[test]
    fn balance_invariant() {
        let e =
            Expr::parse("after.balance - before.balance == count(\"tx\", status = 201) * 10_000")
                .unwrap();
        assert_eq!(e.eval(&E), Ok(Val::Bool(false)));
        let e =
            Expr::parse("after.balance - before.balance == 990000 and count(\"tx\") > 0").unwrap();
        assert_eq!(e.eval(&E), Ok(Val::Bool(true)));
        let e = Expr::parse("not (1 + 2 * 3 == 7)").unwrap();
        assert_eq!(e.eval(&E), Ok(Val::Bool(false)));
    }

    #[test]
    fn errors_point_at_the_problem() {
        assert_eq!(Expr::parse("1 +").unwrap_err().offset, 3);
        assert!(Expr::parse("count(\"x\", stat = 1)")
            .unwrap_err()
            .message
            .contains("stat"));
        assert!(Expr::parse("balance == 1")
            .unwrap_err()
            .message
            .contains("before.NAME"));
        assert!(Expr::parse("sum(1)")
            .unwrap_err()
            .message
            .contains("unknown function"));
        assert_eq!(
            Expr::parse("after.x == 1").unwrap().eval(&E),
            Err("x was not captured".into())
        );
        assert!(Expr::parse("1 / 0 == 1").unwrap().eval(&E).is_err());
    }
}
